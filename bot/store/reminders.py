"""Dates per registered worker and their reminders (issue 23; migration 0016_reminders_dates).

A reminder is claimed by inserting its key (worker, kind, date, offset, snooze round) into
reminders_sent in the same transaction that queues its outbox row: a second process, or the same
one after a crash, finds the key and queues nothing."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.store.broadcasts import _KNOWN_LANGUAGE
from bot.store.db import Database
from bot.store.outbox import Outgoing, enqueue_all


@dataclass(frozen=True)
class WorkerDate:
    id: int
    worker_id: int
    kind: str
    day: str  # YYYY-MM-DD
    next_days: int | None
    next_at: int | None
    round: int
    stopped: bool


@dataclass(frozen=True)
class DueDate(WorkerDate):
    """A date whose reminder time has come, with what is needed to write and time the message."""

    user_id: int
    name: str
    country: str
    stage: str
    relation: str
    lang: str | None  # the reader's language if known


@dataclass(frozen=True)
class Decision:
    """What bot/reminders.step decided for one due date, and the message if one is sent."""

    date: DueDate
    send: tuple[int, int] | None  # (offset, round)
    skip: tuple[int, ...]
    next_days: int | None
    next_at: int | None
    round: int
    message: Outgoing | None


async def worker_of(db: aiosqlite.Connection, user_id: int, worker_id: int) -> aiosqlite.Row | None:
    """The worker (country, stage, relation) if `user_id` registered them."""
    async with db.execute(
        "SELECT id, country, stage, relation FROM workers WHERE id = ? AND user_id = ?", (worker_id, user_id)
    ) as cursor:
        return await cursor.fetchone()


async def write_date(db: aiosqlite.Connection, worker_id: int, kind: str, day: str, now: int) -> int:
    """Set (or change) a worker's date, inside the caller's transaction; its reminders start over
    and are looked at at once (next_at = now). Returns the date's id."""
    await db.execute(
        "INSERT INTO worker_dates (worker_id, kind, day, next_days, next_at, round, stopped, created_at,"
        " updated_at) VALUES (?, ?, ?, NULL, ?, 0, 0, ?, ?) ON CONFLICT (worker_id, kind) DO UPDATE SET"
        " day = excluded.day, next_days = NULL, next_at = excluded.next_at, round = 0, stopped = 0,"
        " updated_at = excluded.updated_at",
        (worker_id, kind, day, now, now, now),
    )
    async with db.execute(
        "SELECT id FROM worker_dates WHERE worker_id = ? AND kind = ?", (worker_id, kind)
    ) as cursor:
        return (await cursor.fetchone())[0]


_DUE = (
    "SELECT d.id, d.worker_id, d.kind, d.day, d.next_days, d.next_at, d.round, d.stopped, w.user_id,"
    " w.name, w.country, w.stage, w.relation, " + _KNOWN_LANGUAGE + " AS lang"
    " FROM worker_dates d INDEXED BY worker_dates_next JOIN workers w ON w.id = d.worker_id"
    " JOIN users u ON u.id = w.user_id"
)


class ReminderStore:
    db: Database

    async def worker_dates(self, user_id: int) -> dict[int, list[WorkerDate]]:
        """Every date of the user's workers, by worker id (for /mydata)."""
        rows = await self.db.fetch_all(
            "SELECT d.id, d.worker_id, d.kind, d.day, d.next_days, d.next_at, d.round, d.stopped"
            " FROM worker_dates d JOIN workers w ON w.id = d.worker_id WHERE w.user_id = ?"
            " ORDER BY d.worker_id, d.day",
            (user_id,),
        )
        dates: dict[int, list[WorkerDate]] = {}
        for row in rows:
            dates.setdefault(row["worker_id"], []).append(WorkerDate(**dict(row)))
        return dates

    async def due_dates(self, now: int, limit: int = 500, only: int | None = None) -> list[DueDate]:
        """Dates whose next reminder time has come (or the one date `only`, if due)."""
        where = "d.next_at <= ? AND d.stopped = 0" + (" AND d.id = ?" if only is not None else "")
        params = (now, only) if only is not None else (now,)
        rows = await self.db.fetch_all(f"{_DUE} WHERE {where} ORDER BY d.next_at LIMIT ?", (*params, limit))
        return [DueDate(**dict(row)) for row in rows]

    async def apply_reminders(self, decisions: Sequence[Decision], now: int) -> int:
        """In one transaction: claim each decision's key; queue its message only when the claim is
        new; move the date on (only if nobody else did since it was read). Returns messages queued."""
        queued = 0
        async with self.db.transaction() as db:
            for decision in decisions:
                date = decision.date
                cursor = await db.execute(
                    "UPDATE worker_dates SET next_days = ?, next_at = ?, round = ?, updated_at = ?"
                    " WHERE id = ? AND next_at IS ? AND round = ? AND day = ? AND stopped = 0",
                    (
                        decision.next_days,
                        decision.next_at,
                        decision.round,
                        now,
                        date.id,
                        date.next_at,
                        date.round,
                        date.day,
                    ),
                )
                if cursor.rowcount != 1:
                    continue  # another process moved it on, or the user changed or stopped it
                for days in decision.skip:
                    await _claim(db, date, days, 0, "skipped", now)
                if decision.send and await _claim(db, date, *decision.send, "queued", now):
                    await enqueue_all(db, [decision.message], now)
                    queued += 1
        return queued

    async def snooze_date(self, user_id: int, date_id: int, next_days: int, next_at: int, round: int) -> bool:
        """The reader snoozed a reminder: look again at `next_at`. False if not theirs."""
        return await self._own(
            "UPDATE worker_dates SET next_days = ?, next_at = ?, round = ?, updated_at = ?",
            (next_days, next_at, round, self.db.now()),
            user_id,
            date_id,
        )

    async def stop_date(self, user_id: int, date_id: int) -> bool:
        """The reader stopped the reminders of this date (a new date starts them again)."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE worker_dates SET stopped = 1, next_at = NULL, updated_at = ? WHERE id = ?"
                " AND worker_id IN (SELECT id FROM workers WHERE user_id = ?)",
                (self.db.now(), date_id, user_id),
            )
            if cursor.rowcount:  # one queued but not sent yet is not sent at all
                await db.execute(
                    "DELETE FROM outbox WHERE kind = 'reminder' AND ref = ? AND status = 'pending'",
                    (date_id,),
                )
            return cursor.rowcount == 1

    async def own_date(self, user_id: int, date_id: int) -> WorkerDate | None:
        row = await self.db.fetch_one(
            "SELECT d.id, d.worker_id, d.kind, d.day, d.next_days, d.next_at, d.round, d.stopped"
            " FROM worker_dates d JOIN workers w ON w.id = d.worker_id WHERE d.id = ? AND w.user_id = ?",
            (date_id, user_id),
        )
        return None if row is None else WorkerDate(**dict(row))

    async def reminders_claimed(self, worker_id: int) -> list[tuple[str, str, int, int, str]]:
        """(kind, day, offset, round, status) of every claimed reminder of a worker, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT kind, day, days, round, status FROM reminders_sent WHERE worker_id = ?"
            " ORDER BY created_at, days DESC",
            (worker_id,),
        )
        return [tuple(row) for row in rows]

    async def contracts_ending(self, today: str, windows: Sequence[int]) -> list[tuple[str, str, list[int]]]:
        """(province, district, [contracts ending within each window of days]) from `today`, busiest
        first; only districts with a contract ending within the longest window."""
        start = datetime.date.fromisoformat(today)
        ends = [(start + datetime.timedelta(days=int(days))).isoformat() for days in windows]
        sums = ", ".join("SUM(CASE WHEN d.day <= ? THEN 1 ELSE 0 END)" for _ in windows)
        rows = await self.db.fetch_all(
            f"SELECT r.province, r.district, {sums} FROM worker_dates d INDEXED BY worker_dates_day"
            " JOIN workers w ON w.id = d.worker_id JOIN registrations r ON r.user_id = w.user_id"
            " WHERE d.kind = 'contract' AND d.day >= ? AND d.day <= ?"
            " GROUP BY r.province, r.district ORDER BY 3 DESC, 4 DESC, r.province, r.district",
            (*ends, today, max(ends)),
        )
        return [(row[0], row[1], list(row[2:])) for row in rows]

    async def _own(self, assignments: str, params: tuple, user_id: int, date_id: int) -> bool:
        async with self.db.transaction() as db:
            cursor = await db.execute(
                f"{assignments} WHERE id = ? AND worker_id IN (SELECT id FROM workers WHERE user_id = ?)",
                (*params, date_id, user_id),
            )
            return cursor.rowcount == 1


async def _claim(
    db: aiosqlite.Connection, date: DueDate, days: int, round: int, status: str, now: int
) -> bool:
    cursor = await db.execute(
        "INSERT INTO reminders_sent (worker_id, kind, day, days, round, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (date.worker_id, date.kind, date.day, days, round, status, now),
    )
    return cursor.rowcount == 1
