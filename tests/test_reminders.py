"""Workers' dates and their reminders (issue 23), on the store's injected clock."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from journeys import label, opening, register, rows

from bot import reminders
from bot.config import load_settings
from bot.emulator import Emulator
from bot.lifecycle import open_services
from bot.local import local_bot
from bot.outbox.reminders import remind_once
from bot.store.registrations import NewRegistration, write_registration
from bot.store.reminders import write_date
from bot.wizard import Invalid

ZONE = "Asia/Jakarta"  # Siti registers her child in Taiwan: she reads at home, on Jakarta time
START = datetime(2027, 1, 4, 10, 0, tzinfo=reminders.zone(ZONE)).timestamp()
CONTRACT_END = date(2027, 12, 31)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
async def running(settings, content, clock):
    async with local_bot(settings, emulator=Emulator(), clock=clock, content=content) as bot:
        yield bot


@pytest.fixture
def siti(running):
    return running.emulator.user(id=1001, first_name="Siti", language_code="id")


async def enter_date(user, kind: str, typed: str) -> None:
    await user.send("/dates")
    await user.press(label(f"user-dates-kind-{kind}"))
    await user.send(typed)
    await user.press(label("user-button-confirm"))


async def tick(running) -> int:
    queued = await remind_once(running.services)
    await running.services.outbox.drain(2)
    return queued


def reminders_of(user, kind: str = "contract") -> list[str]:
    first = opening(f"user-reminder-{kind}", name="Siti Aminah", when="")
    return [m.text for m in user.messages if m.text.startswith(first.split(":")[0])]


async def test_each_offset_fires_once_at_nine_local(running, siti, clock, settings):
    await register(siti)
    await enter_date(siti, "contract", "31-12-2027")
    for days in (120, 14, 7):
        due = reminders.due_at(CONTRACT_END, days, ZONE)
        clock.now = due - 60
        assert await tick(running) == 0
        clock.now = due
        assert (await tick(running), await tick(running)) == (1, 0)
        assert datetime.fromtimestamp(clock.now, reminders.zone(ZONE)).hour == 9
    assert rows(settings, "SELECT days, status FROM reminders_sent ORDER BY days DESC") == [
        (120, "queued"),
        (14, "queued"),
        (7, "queued"),
    ]
    assert len(reminders_of(siti)) == 3


async def test_a_date_shown_back_in_words(running, siti):
    await register(siti)
    await siti.send("/dates")
    await siti.press(label("user-dates-kind-passport"))
    await siti.send("12 Maret 2027")
    assert label("user-dates-in-words", day=12, month=3, year=2027, days=67) in siti.last_text
    await siti.press(label("user-button-confirm"))
    await siti.send("/mydata")
    assert "12 Maret 2027, 67 hari lagi" in siti.last_text


async def test_a_time_passed_while_entering_sends_the_latest_once_at_once(running, siti, settings):
    await register(siti)
    await enter_date(siti, "contract", "14-01-2027")  # 10 days: 120 and 14 days have passed
    await running.services.outbox.drain(2)
    assert rows(settings, "SELECT days, status FROM reminders_sent ORDER BY days") == [
        (14, "queued"),
        (120, "skipped"),
    ]
    assert len(reminders_of(siti)) == 1 and "10 hari lagi" in reminders_of(siti)[0]
    assert await tick(running) == 0


async def test_a_restart_over_a_due_time_sends_once(settings, content, clock):
    async with local_bot(settings, emulator=Emulator(), clock=clock, content=content) as bot:
        siti = bot.emulator.user(id=1001, first_name="Siti", language_code="id")
        await register(siti)
        await enter_date(siti, "contract", "31-12-2027")
    clock.now = reminders.due_at(CONTRACT_END, 14, ZONE) + 3600  # down through the 120 and 14 days
    async with open_services(settings, clock=clock, content=content) as other:  # a second process
        assert await remind_once(other) == 1
    async with local_bot(settings, emulator=Emulator(), clock=clock, content=content) as bot:
        assert await remind_once(bot.services) == 0
    assert rows(settings, "SELECT days, status FROM reminders_sent ORDER BY days") == [
        (14, "queued"),
        (120, "skipped"),
    ]


async def test_a_reminder_due_at_night_waits_for_the_morning(running, siti, clock):
    await register(siti)
    await enter_date(siti, "contract", "31-12-2027")
    clock.now = reminders.due_at(CONTRACT_END, 120, ZONE) + 14 * 3600  # 23:00 Jakarta
    assert await tick(running) == 0
    clock.now = reminders.due_at(CONTRACT_END, 119, ZONE) - 3600  # 08:00 the next day
    assert await tick(running) == 1


async def test_snooze_sends_again_a_week_later(running, siti, clock, settings):
    await register(siti)
    await enter_date(siti, "contract", "31-12-2027")
    clock.now = reminders.due_at(CONTRACT_END, 120, ZONE)
    await tick(running)
    await siti.press(label("user-reminder-button-snooze"))
    clock.now = reminders.due_at(CONTRACT_END, 114, ZONE) - 60
    assert await tick(running) == 0
    clock.now = reminders.due_at(CONTRACT_END, 113, ZONE)
    assert (await tick(running), await tick(running)) == (1, 0)
    assert rows(settings, "SELECT days, round FROM reminders_sent ORDER BY round") == [(120, 0), (120, 1)]


async def test_stop_ends_that_kind(running, siti, clock, settings):
    await register(siti)
    await enter_date(siti, "contract", "31-12-2027")
    clock.now = reminders.due_at(CONTRACT_END, 120, ZONE)
    await tick(running)
    await siti.press(label("user-reminder-button-stop"))
    assert siti.last_text == label("user-reminder-stop-done")
    clock.now = reminders.due_at(CONTRACT_END, 7, ZONE)
    assert await tick(running) == 0
    assert rows(settings, "SELECT days FROM reminders_sent") == [(120,)]


async def test_deletedata_removes_the_dates(running, siti, clock, settings):
    await register(siti)
    await enter_date(siti, "permit", "14-01-2027")
    await siti.send("/deletedata")
    await siti.press(label("user-deletedata-yes"))
    assert rows(settings, "SELECT COUNT(*) FROM worker_dates") == [(0,)]
    assert rows(settings, "SELECT COUNT(*) FROM reminders_sent") == [(0,)]


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("31-12-2026", "user-dates-invalid-past"),
        ("1-1-2040", "user-dates-invalid-far"),
        ("31-02-2027", "user-dates-invalid-format"),
        ("besok", "user-dates-invalid-format"),
    ],
)
def test_a_date_is_validated(typed, key):
    with pytest.raises(Invalid) as refused:
        reminders.parse_day(typed, "contract", date(2027, 1, 4))
    assert refused.value.key == key


@pytest.mark.parametrize("typed", ["12-03-2027", "12/3/27", "2027-03-12", "12 Maret 2027", "12 march 2027"])
def test_a_date_is_read_in_common_forms(typed):
    assert reminders.parse_day(typed, "passport", date(2027, 1, 4)) == date(2027, 3, 12)


def test_a_worker_abroad_is_reminded_on_their_own_time():
    assert reminders.zone_for("TW", "abroad", "self") == "Asia/Taipei"
    assert reminders.zone_for("TW", "abroad", "child") == "Asia/Jakarta"


async def dated_workers(store, ends: list[tuple[str, str]]) -> None:
    """One family per (district, contract end) with a worker whose contract ends then."""
    async with store.db.transaction() as db:
        for n, (district, day) in enumerate(ends, start=1):
            await db.execute("INSERT INTO users (id, first_seen, last_seen) VALUES (?, 0, 0)", (n,))
            new = NewRegistration(
                "+6281234567890", "jawa-timur", district, "Desa", "child", "Siti", "TW", "abroad"
            )
            await write_registration(db, n, new, 0)
            await write_date(db, n, "contract", day, 0)


async def test_stats_count_contracts_ending_per_district(store):
    await dated_workers(
        store,
        [
            ("Malang", "2027-01-20"),
            ("Malang", "2027-03-20"),
            ("Blitar", "2027-04-20"),
            ("Blitar", "2028-01-01"),
        ],
    )
    assert await store.contracts_ending("2027-01-04", (30, 90, 120)) == [
        ("jawa-timur", "Malang", [1, 2, 2]),
        ("jawa-timur", "Blitar", [0, 0, 1]),
    ]


async def test_a_broadcast_can_target_contracts_ending_within_n_days(store):
    await dated_workers(store, [("Malang", "2027-01-20"), ("Malang", "2027-03-20"), ("Malang", "2026-12-01")])
    store.db.clock = lambda: START
    assert await store.count_audience({"contract_days": "30"}, "id") == 1
    assert await store.count_audience({"contract_days": "90"}, "id") == 2


async def test_only_the_reader_can_stop_a_reminder(running, siti, settings):
    await register(siti)
    await enter_date(siti, "passport", "31-12-2027")
    other = running.emulator.user(id=1003, first_name="Tono", language_code="id")
    query = await other.press_data("rem:1:1:stop")
    assert other.answer(query)["text"] == label("user-stale-button")
    assert rows(settings, "SELECT stopped FROM worker_dates") == [(0,)]


async def test_retention_removes_the_dates_with_the_registration(store):
    await dated_workers(store, [("Malang", "2027-01-20")])
    assert await store.purge_registrations(inactive_since=1) == 1
    assert await store.db.fetch_value("SELECT COUNT(*) FROM worker_dates") == 0


async def test_staff_target_a_broadcast_at_contracts_ending_soon(tmp_path, content, clock):
    settings = load_settings({"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "STAFF_IDS": "9001"})
    async with local_bot(settings, emulator=Emulator(), clock=clock, content=content) as bot:
        staff = bot.emulator.user(id=9001, first_name="Ani", language_code="id")
        await staff.send("/broadcast")
        await staff.send("Info kontrak")
        for key in ("staff-broadcast-all", "staff-broadcast-registered-yes", "staff-broadcast-all"):
            await staff.press(label(key))
        await staff.press(label("staff-broadcast-all"))
        await staff.send("30")
        assert "Provinsi" in staff.last_text  # the next question
    [(step, answers)] = rows(settings, "SELECT step, answers FROM drafts")
    assert step == "province" and '"contract_days": "30"' in answers
