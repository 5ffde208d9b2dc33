"""Reminders on a busy morning: every due reminder sent once, paced, while users keep chatting.

    python bench/reminders.py                            # 100,000 workers with dates, 20,000 due
    python bench/reminders.py --workers 20000 --due 4000 # a reduced run for a loaded machine

Puts `workers` registered workers (one family each) with a contract end date in the store; `due` of
them have their 14-day reminder due at 09:00 Jakarta this morning, the rest months away. Then starts
the real bot in-process on the emulator with Telegram's flood limits on and the default
BROADCAST_RATE; the outbox waits on the emulator's clock (virtual pacing), so the send takes seconds of
real time while its pace is measured in emulated seconds, as Telegram would see it.

Printed side by side: the interactive reply time (a user sending /menu, real milliseconds, p50/p95)
before any reminder is due (baseline) and while the reminders are claimed and sent; then reminders
claimed, sent, duplicates, missing, flood errors (429) and the most sends in any emulated second and minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta

from _proc import peak_rss_mb

from bot import reminders
from bot.config import load_settings
from bot.emulator import Emulator, FloodLimits
from bot.lifecycle import open_services
from bot.local import local_bot
from bot.outbox.reminders import remind_once

MORNING = datetime(2027, 3, 1, 9, 0, 30, tzinfo=reminders.zone("Asia/Jakarta")).timestamp()
CHATTER = 5  # the first of 50 users whose /menu replies are timed


class Clock:
    """The store's clock: this morning at 09:00:30 Jakarta, moving with real time from `start`."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return MORNING + time.perf_counter() - self.start


async def fill(settings, workers: int, due: int) -> None:
    """Families, workers and contract dates straight into the store (the wizard is not measured)."""
    today = date.fromtimestamp(MORNING)
    due_day, later_day = today + timedelta(days=14), today + timedelta(days=400)
    due_at = reminders.due_at(due_day, 14, "Asia/Jakarta")
    later_at = reminders.due_at(later_day, 120, "Asia/Jakarta")
    async with open_services(settings) as services, services.store.db.transaction() as db:
        ids = range(100_000, 100_000 + workers)
        await db.executemany(
            "INSERT INTO users (id, first_name, telegram_language, first_seen, last_seen)"
            " VALUES (?, 'U', 'id', ?, ?)",
            [(i, int(MORNING), int(MORNING)) for i in ids],  # recent: retention keeps them
        )
        await db.executemany(
            "INSERT INTO registrations (user_id, phone, province, district, village, consent_at,"
            " created_at, updated_at)"
            " VALUES (?, '+6281234567890', 'jawa-timur', 'Kabupaten Malang', 'Kromengan', 0, 0, 0)",
            [(i,) for i in ids],
        )
        await db.executemany(
            "INSERT INTO workers (id, user_id, relation, name, name_key, country, stage, created_at,"
            " updated_at)"
            " VALUES (?, ?, 'child', 'Siti Aminah', 'siti aminah', 'TW', 'abroad', 0, 0)",
            [(i, i) for i in ids],
        )
        await db.executemany(
            "INSERT INTO worker_dates (worker_id, kind, day, next_days, next_at, created_at, updated_at)"
            " VALUES (?, 'contract', ?, ?, ?, 0, 0)",
            [
                (
                    i,
                    *(
                        (due_day.isoformat(), 14, due_at)
                        if n < due
                        else (later_day.isoformat(), 120, later_at)
                    ),
                )
                for n, i in enumerate(ids)
            ],
        )


async def chat(users, seconds: float, times: list[float], pause: float = 0.05) -> list[float]:
    """/menu every `pause` seconds for `seconds`, from each of `users` in turn (one user alone would
    meet Telegram's one-message-a-second limit of their chat): real milliseconds until each reply."""
    end, turn = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        started = time.perf_counter()
        await users[turn % len(users)].send("/menu")
        times.append((time.perf_counter() - started) * 1000)
        turn += 1
        await asyncio.sleep(pause)
    return times


def peak(times: list[float], window: float) -> int:
    """The most sends inside any `window` seconds."""
    times, most, start = sorted(times), 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def quantiles(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=20)
    return f"p50 {statistics.median(times):6.1f} ms  p95 {cuts[18]:6.1f} ms  (n={len(times)})"


async def run(workers: int, due: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings({"DATABASE_PATH": f"{folder}/bench.sqlite3", "LOG_LEVEL": "WARNING"})
        filled = time.perf_counter()
        await fill(settings, workers, due)
        print(
            f"workers with dates: {workers}  due this morning: {due}  "
            f"(store filled in {time.perf_counter() - filled:.1f} s)"
        )
        emulator = Emulator(flood=FloodLimits())
        for user_id in range(100_000, 100_000 + due):
            emulator.user(id=user_id, first_name="U", language_code="id")
        clock = Clock()
        # The bot starts before 09:00 for the baseline: its clock then jumps to the morning.
        clock.start += 3600
        async with local_bot(settings, emulator=emulator, clock=clock, virtual_pacing=True) as running:
            chatters = [
                emulator.user(id=CHATTER + n, first_name="Rina", language_code="id") for n in range(50)
            ]
            baseline = await chat(chatters, 5, [])
            clock.start -= 3600
            started, emulated = time.perf_counter(), emulator.now()
            during: list[float] = []
            during_task = asyncio.create_task(chat(chatters, 3600, during))
            store = running.services.store
            claimed = await remind_once(running.services)  # the minute's look of remind_forever, now
            claim_time = time.perf_counter() - started
            while True:
                await asyncio.sleep(1)
                queued = await store.db.fetch_value("SELECT COUNT(*) FROM reminders_sent")
                pending = await store.db.fetch_value(
                    "SELECT COUNT(*) FROM outbox WHERE kind = 'reminder' AND status IN ('pending', 'sending')"
                )
                if queued >= due and pending == 0:
                    break
            during_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await during_task
            elapsed, emulated = time.perf_counter() - started, emulator.now() - emulated
            counts = await store.outbox_counts(kind="reminder")
        per_user = [len(emulator.messages_in(user_id)) for user_id in range(100_000, 100_000 + due)]
        sends = [
            c.at
            for c in emulator.calls("sendMessage")
            if c.status == 200 and not CHATTER <= c.params.get("chat_id", 0) < CHATTER + 50
        ]
        print(f"interactive /menu before (baseline): {quantiles(baseline)}")
        print(
            "interactive /menu while sending:     "
            + (quantiles(during) if len(during) > 1 else "too few samples")
        )
        print(f"claimed and queued {claimed} in {claim_time:.1f} s (one look of the reminder loop)")
        print(
            f"reminders claimed: {queued}  sent: {counts.get('sent', {}).get('reminder', 0)}"
            f"  failed: {counts.get('failed', {}).get('reminder', 0)}"
        )
        print(
            f"duplicates: {sum(n > 1 for n in per_user)}  missing: {sum(n == 0 for n in per_user)}  "
            f"flood errors (429): {sum(1 for c in emulator.errors if c.status == 429)}"
        )
        print(
            f"pace: at most {peak(sends, 1.0)} reminders in any emulated second, {peak(sends, 60.0)} in any"
            f" minute (BROADCAST_RATE {settings.broadcast_rate:g}/s; Telegram's limit about 30/s)"
        )
        print(f"real time: {elapsed:.1f} s for {emulated:.0f} emulated s  peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=20_000)
    args = parser.parse_args()
    asyncio.run(run(args.workers, args.due))
