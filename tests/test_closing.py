"""Issue 19: response times, the rating after a resolve, idle cases closed with an undo (injected clock)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from journeys import full_report, label, rows

from bot.config import load_settings
from bot.local import local_bot
from bot.outbox.case_reminders import AUTO_CLOSE_DAYS, close_idle_once
from bot.store.times import percentile

STAFF_CHAT = -100999
HOUR, DAY = 3600, 86400


@pytest.fixture
async def desk(tmp_path, content):
    now = [datetime(2026, 12, 7, 9, tzinfo=ZoneInfo("Asia/Jakarta")).timestamp()]
    env = {
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        "STAFF_IDS": "9001",
        "STAFF_CHAT_ID": str(STAFF_CHAT),
    }
    async with local_bot(load_settings(env), content=content, clock=lambda: now[0]) as running:
        staff = running.emulator.user(id=9001, first_name="Ani", language_code="id")
        group = running.emulator.group(id=STAFF_CHAT, title="Petugas", members=[staff])
        siti = running.emulator.user(id=1001, first_name="Siti", language_code="id")
        await full_report(siti)
        await running.services.outbox.drain(5)
        yield running, now, staff, group, siti


async def press(running, user, key, group=None):
    await user.press(label(key), group)
    await running.services.outbox.drain(5)


@pytest.mark.parametrize(
    ("values", "median", "p90"), [([], None, None), ([5], 5, 5), ([1, 2, 3, 4, 10], 3, 10)]
)
def test_percentiles_by_nearest_rank(values, median, p90):
    assert (percentile(values, 0.5), percentile(values, 0.9)) == (median, p90)


async def test_response_times_per_week_and_category_and_cases_over_target(desk):
    running, now, staff, group, siti = desk
    now[0] += 2 * HOUR
    await press(running, staff, "staff-button-take", group)
    now[0] += 2 * DAY
    await press(running, staff, "staff-button-res", group)
    await full_report(siti)  # a second case nobody answers
    now[0] += 2 * DAY
    times = await running.services.store.response_report()
    assert times["categories"]["unpaid_wages"]["response_median_h"] == 2
    assert times["categories"]["unpaid_wages"]["resolution_median_d"] == pytest.approx(2 + 2 / 24)
    assert list(times["weeks"]) == ["07-12-2026"] and len(times["over_target"]) == 1


async def test_the_reporter_is_asked_once_to_rate_and_the_rating_shows_in_stats(desk):
    running, now, staff, group, siti = desk
    await press(running, staff, "staff-button-res", group)
    now[0] += 70  # the question waits with the "resolved" notice while staff may still undo
    await running.services.store.release_held()
    running.services.wake_outbox()
    await running.services.outbox.drain(5)
    assert siti.last_text.startswith(label("user-rate-ask", case=_case(running))[:20])
    await press(running, staff, "staff-button-prog", group)
    await press(running, staff, "staff-button-res", group)  # resolved again: not asked again
    assert (
        sum(m.text.startswith(label("user-rate-ask", case=_case(running))[:20]) for m in siti.messages) == 1
    )
    await siti.press("⭐⭐⭐⭐")
    assert rows(running.services.settings, "SELECT rating FROM case_ratings") == [(4,)]
    await staff.send("/stats")
    assert "4★ 1" in staff.last_text


def _case(running):
    reference = rows(running.services.settings, "SELECT reference FROM cases")[0][0]
    return type("C", (), {"reference": reference})()


async def test_an_idle_case_is_closed_with_a_notice_the_reporter_can_undo(desk):
    running, now, staff, group, siti = desk
    await press(running, staff, "staff-button-take", group)
    now[0] += (AUTO_CLOSE_DAYS - 1) * DAY
    assert await close_idle_once(running.services) == 0
    now[0] += 2 * DAY
    assert await close_idle_once(running.services) == 1
    await running.services.outbox.drain(5)
    assert rows(running.services.settings, "SELECT status FROM cases") == [("resolved",)]
    card = next(m for m in group.messages if m.buttons)
    assert label("user-status-resolved") in card.text
    await press(running, siti, "user-button-reopen")
    assert rows(running.services.settings, "SELECT status FROM cases") == [("in_progress",)]
    assert any(label("staff-reporter-reopened", case=_case(running)) in m.text for m in group.messages)
