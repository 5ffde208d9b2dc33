"""Issue 19: reminders for cases nobody has taken, office hours, by an injected clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from journeys import full_report, label

from bot import officehours
from bot.config import ConfigError, load_settings
from bot.local import local_bot
from bot.outbox.case_reminders import remind_once

STAFF_CHAT = -100999
WIB = ZoneInfo("Asia/Jakarta")


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=WIB).timestamp()


@pytest.mark.parametrize(
    ("hours", "moment", "inside"),
    [
        ("Mon-Fri 08:00-16:00", "2026-12-07 08:00", True),  # a Monday
        ("Mon-Fri 08:00-16:00", "2026-12-07 16:00", False),
        ("Mon-Fri 08:00-16:00", "2026-12-05 10:00", False),  # a Saturday
        ("Sat,Sun 09:00-12:00 Asia/Makassar", "2026-12-05 10:30", True),  # 09:30 in Jakarta
        ("Fri-Mon 08:00-16:00", "2026-12-06 09:00", True),  # Sunday, in a range across the week's end
    ],
)
def test_office_hours(hours, moment, inside):
    assert officehours.parse(hours).contains(at(moment)) is inside


@pytest.mark.parametrize(
    "value", ["weekdays", "Mon-Fri 16:00-08:00", "Mon-Fri 08:00-16:00 Mars/Base", "Xyz 8:00-9:00"]
)
def test_a_bad_office_hours_value_names_the_variable(value):
    with pytest.raises(ConfigError, match="OFFICE_HOURS"):
        load_settings({"OFFICE_HOURS": value})


@pytest.fixture
async def desk(tmp_path, content):
    now = [at("2026-12-07 09:00")]
    env = {
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        "STAFF_IDS": "9001",
        "STAFF_CHAT_ID": str(STAFF_CHAT),
    }
    async with local_bot(load_settings(env), content=content, clock=lambda: now[0]) as running:
        staff = running.emulator.user(id=9001, first_name="Ani", language_code="id")
        group = running.emulator.group(id=STAFF_CHAT, title="Petugas", members=[staff])
        await full_report(running.emulator.user(id=1001, first_name="Siti", language_code="id"))
        await running.services.outbox.drain(5)
        yield running, now, staff, group


def reminders(group):
    return [m for m in group.messages if m.text.startswith("⏰")]


async def test_a_case_nobody_took_is_re_announced_after_the_set_minutes(desk):
    running, now, staff, group = desk
    now[0] += 59 * 60
    assert await remind_once(running.services) == 0
    now[0] += 60
    assert await remind_once(running.services) == 1
    assert await remind_once(running.services) == 0  # not again until the next interval
    await running.services.outbox.drain(5)
    assert len(reminders(group)) == 1 and reminders(group)[0].buttons


async def test_a_taken_case_is_not_re_announced(desk):
    running, now, staff, group = desk
    await staff.press(label("staff-button-take"), group)
    now[0] += 3 * 3600
    assert await remind_once(running.services) == 0


async def test_no_reminders_outside_office_hours_then_on_the_next_working_morning(desk):
    running, now, staff, group = desk
    now[0] = at("2026-12-07 16:30")
    assert await remind_once(running.services) == 0
    now[0] = at("2026-12-08 08:00")
    assert await remind_once(running.services) == 1
