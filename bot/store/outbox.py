"""The outbox: every message the bot sends on its own initiative, durable and paced.

Rows are written in the same transaction as the change they announce (a new case, a status
change), so nothing a user was told is lost, and the worker (bot/outbox/worker.py) sends them later.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiosqlite

from bot.store.db import Database
from bot.store.dialect import SKIP_LOCKED

# Lower sends first, in the outbox's queue and at the send path's gate (bot/outbox/limiter.py).
# Rows already stored keep their meaning: the values 0, 1 and 2 are unchanged.
INTERACTIVE = -10  # replies to the person who just wrote, callback answers: never queued here
URGENT_CARD = -3  # a new urgent case's card and files, its escalation alerts: ahead of all else
CARD = -2  # the staff card of any other new case
STAFF_REPLY = -1  # a staff member's message to a reporter
NOTICE = 0  # status notices, card edits, reporters' messages for staff
BROADCAST = 1
HOUSEKEEPING = 2  # edits of old staff cards after retention: after everything else


async def enqueue(
    db: aiosqlite.Connection,
    *,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    now: int,
    priority: int = NOTICE,
    kind: str = "",
    ref: int | None = None,
    delay: int = 0,
) -> int:
    """Queue one Bot API call (`method` with `payload` minus chat_id) inside the caller's transaction.
    With `delay`, the row is held (the worker does not see it) until `release_held` makes it pending.

    `kind` and `ref` tell the worker what the message is about (e.g. "case_card", case id) so a hook
    can record the sent message's id."""
    cursor = await db.execute(
        "INSERT INTO outbox (priority, chat_id, method, payload, kind, ref, status, not_before,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            priority,
            chat_id,
            method,
            json.dumps(payload, ensure_ascii=False),
            kind,
            ref,
            "held" if delay else "pending",
            now + delay if delay else 0,
            now,
            now,
        ),
    )
    return cursor.lastrowid


@dataclass(frozen=True)
class Outgoing:
    """A message to queue in the same transaction as the change it announces."""

    chat_id: int
    method: str
    payload: dict[str, Any]
    kind: str = ""
    ref: int | None = None
    priority: int = NOTICE
    delay: int = 0  # seconds it is held before it may be sent (e.g. while a staff action can be undone)
    merge: bool = False  # a text that may join a pending message of the same kind, case and chat


# A merged text stays under Telegram's 4096 characters (counted here on the HTML, which is longer).
MERGED_MAX = 4000
MERGE_SEPARATOR = "\n\n"


async def enqueue_all(db: aiosqlite.Connection, items: Sequence[Outgoing], now: int) -> None:
    """Queue each of `items` inside the caller's transaction; a `merge` item is appended to a
    matching message still waiting in the queue, so a flood of messages from one reporter becomes a
    few long ones and holds back nobody else's."""
    for item in items:
        if item.merge and await _merge(db, item, now):
            continue
        await enqueue(
            db,
            chat_id=item.chat_id,
            method=item.method,
            payload=item.payload,
            now=now,
            kind=item.kind,
            ref=item.ref,
            priority=item.priority,
            delay=item.delay,
        )


async def _merge(db: aiosqlite.Connection, item: Outgoing, now: int) -> bool:
    """Append `item`'s text to the newest pending sendMessage of the same kind, case and chat, if
    the worker has not claimed it and the sum fits; False if there is none."""
    cursor = await db.execute(
        "SELECT id, payload FROM outbox WHERE status = 'pending' AND chat_id = ? AND kind = ? AND ref = ?"
        " AND method = 'sendMessage' ORDER BY id DESC LIMIT 1",
        (item.chat_id, item.kind, item.ref),
    )
    row = await cursor.fetchone()
    if row is None:
        return False
    payload = json.loads(row[1])
    text = payload.get("text", "") + MERGE_SEPARATOR + item.payload["text"]
    if len(text) > MERGED_MAX:
        return False
    await db.execute(
        "UPDATE outbox SET payload = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
        (json.dumps({**payload, "text": text}, ensure_ascii=False), now, row[0]),
    )
    return True


@dataclass(frozen=True)
class OutboxRow:
    id: int
    priority: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    kind: str
    ref: int | None
    status: str
    attempts: int
    not_before: int
    error: str | None
    result: Any
    created_at: int
    updated_at: int


def _row(row: aiosqlite.Row) -> OutboxRow:
    result = row["result"]
    return OutboxRow(
        **{
            **dict(row),
            "payload": json.loads(row["payload"]),
            "result": None if result is None else json.loads(result),
        }
    )


# The partial indexes of migration 0008_outbox_queue serve only queries that say exactly this; the
# queries name them (INDEXED BY) because the planner prefers outbox_due and then sorts every row.
_PENDING = "status = 'pending'"


class OutboxStore:
    """The outbox table as the worker (bot/outbox/worker.py) and the staff see it."""

    db: Database

    async def enqueue_message(
        self,
        *,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        priority: int = NOTICE,
        kind: str = "",
        ref: int | None = None,
    ) -> int:
        """Queue one Bot API call in its own transaction (see `enqueue`); returns the row id."""
        async with self.db.transaction() as db:
            return await enqueue(
                db,
                chat_id=chat_id,
                method=method,
                payload=payload,
                now=self.db.now(),
                priority=priority,
                kind=kind,
                ref=ref,
            )

    async def release_held(self) -> int:
        """Held rows whose time has come become pending (see `enqueue`); returns how many."""
        now = self.db.now()
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE outbox SET status = 'pending', not_before = 0, updated_at = ?"
                " WHERE status = 'held' AND not_before <= ?",
                (now, now),
            )
            return cursor.rowcount

    async def due_outbox(self, limit: int = 100, *, skip_chats: Iterable[int] = ()) -> list[OutboxRow]:
        """The next `limit` pending rows whose time has come, lower priority first then oldest,
        leaving out the chats in `skip_chats` (busy or paced ones)."""
        rows = await self.db.fetch_all(
            f"SELECT * FROM outbox INDEXED BY outbox_queue WHERE {_PENDING} AND not_before <= ?"
            " AND chat_id NOT IN (SELECT value FROM json_each(?)) ORDER BY priority, id LIMIT ?",
            (self.db.now(), json.dumps(sorted(set(skip_chats))), limit),
        )
        return [_row(row) for row in rows]

    async def has_due_outbox(self) -> bool:
        """Whether any pending row's time has come (whatever its chat)."""
        return bool(
            await self.db.fetch_value(
                f"SELECT EXISTS (SELECT 1 FROM outbox WHERE {_PENDING} AND not_before <= ?)",
                (self.db.now(),),
            )
        )

    async def next_outbox_time(self) -> int | None:
        """The earliest not_before of a pending row that is not due yet, if any."""
        return await self.db.fetch_value(
            f"SELECT MIN(not_before) FROM outbox INDEXED BY outbox_next WHERE {_PENDING} AND not_before > ?",
            (self.db.now(),),
        )

    async def get_outbox(self, row_id: int) -> OutboxRow | None:
        row = await self.db.fetch_one("SELECT * FROM outbox WHERE id = ?", (row_id,))
        return None if row is None else _row(row)

    async def mark_sending(self, row: OutboxRow) -> bool:
        """Claim a pending row just before its request; False if it is no longer pending, or if another
        process is claiming it this very moment (PostgreSQL: SKIP LOCKED, so nobody waits for it)."""
        claimed = await self.db.write(
            "UPDATE outbox SET status = 'sending', updated_at = ? WHERE id = (SELECT id FROM outbox"
            f" WHERE id = ? AND {_PENDING} {SKIP_LOCKED})",
            (self.db.now(), row.id),
        )
        return claimed == 1

    async def claim_outbox(self, row: OutboxRow) -> OutboxRow | None:
        """Claim a pending row just before its request: the row as it is now (a merged message may
        have grown since it was read), or None if it is no longer pending."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE outbox SET status = 'sending', updated_at = ? WHERE id = ? AND status = 'pending'"
                " RETURNING payload",
                (self.db.now(), row.id),
            )
            claimed = await cursor.fetchone()
        return None if claimed is None else replace(row, status="sending", payload=json.loads(claimed[0]))

    async def mark_sent(self, row: OutboxRow, result: Any) -> None:
        """Record the request's result (e.g. {"message_id": …}) right after it succeeded."""
        await self._set(row, "sent", result=json.dumps(result, ensure_ascii=False))

    async def reschedule(self, row: OutboxRow, not_before: int) -> None:
        """Send the same row again at `not_before` (after a flood wait): attempts unchanged."""
        await self._set(row, "pending", not_before=not_before)

    async def mark_retry(self, row: OutboxRow, error: str, not_before: int) -> None:
        """A failed attempt that may succeed later: attempts + 1, pending again at `not_before`."""
        await self._set(row, "pending", error=error, not_before=not_before, attempts=row.attempts + 1)

    async def mark_failed(self, row: OutboxRow, reason: str, *, attempts: int | None = None) -> None:
        """Never sent, never retried; `attempts` counts the last try when retries ran out."""
        await self._set(row, "failed", error=reason, attempts=row.attempts if attempts is None else attempts)

    async def mark_unknown(self, row: OutboxRow, reason: str) -> None:
        """The request may or may not have been delivered: never re-sent unless staff ask."""
        await self._set(row, "unknown", error=reason)

    async def move_outbox_chat(self, row: OutboxRow, new_chat_id: int) -> int:
        """The chat became a supergroup: this row and every other pending row for the old id move
        to the new id; this row is pending again. Returns the number of rows moved."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE outbox SET chat_id = ?, status = 'pending', updated_at = ?"
                " WHERE chat_id = ? AND (id = ? OR status = 'pending')",
                (new_chat_id, self.db.now(), row.chat_id, row.id),
            )
            return cursor.rowcount

    async def recover_after_crash(self) -> int:
        """Rows left 'sending' by a crash become 'unknown' (they may have been delivered)."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE outbox SET status = 'unknown', error = 'interrupted while sending',"
                " updated_at = ? WHERE status = 'sending'",
                (self.db.now(),),
            )
            return cursor.rowcount

    async def resend_unknown(self, *, kind: str | None = None, ref: int | None = None) -> int:
        """Staff chose to re-send the 'unknown' rows (of one kind / ref): back to pending, now."""
        where, params = _filters(kind, ref)
        async with self.db.transaction() as db:
            cursor = await db.execute(
                f"UPDATE outbox SET status = 'pending', not_before = 0, updated_at = ?"
                f" WHERE status = 'unknown'{where}",
                (self.db.now(), *params),
            )
            return cursor.rowcount

    async def outbox_counts(
        self, *, kind: str | None = None, ref: int | None = None
    ) -> dict[str, dict[str, int]]:
        """Row counts as {status: {kind: n}}, optionally for one kind / ref (e.g. one broadcast)."""
        where, params = _filters(kind, ref)
        rows = await self.db.fetch_all(
            f"SELECT status, kind, COUNT(*) FROM outbox WHERE 1 = 1{where} GROUP BY status, kind",
            params,
        )
        counts: dict[str, dict[str, int]] = {}
        for status, row_kind, count in rows:
            counts.setdefault(status, {})[row_kind] = count
        return counts

    async def purge_outbox(self, older_than: int, batch: int = 5000) -> int:
        """Retention: finished rows (their text may hold a story or a name) untouched since `older_than`.

        A finished broadcast first keeps its outcome (counts by status) in its own row."""
        await self.db.write(
            "UPDATE broadcasts SET outcome = (SELECT json_group_object(status, n) FROM (SELECT status,"
            " COUNT(*) AS n FROM outbox WHERE kind = 'broadcast' AND ref = broadcasts.id GROUP BY status)"
            " AS counts)"
            " WHERE outcome IS NULL AND status IN ('done', 'cancelled') AND finished_at < ?",
            (older_than,),
        )
        deleted = 0
        while True:
            count = await self.db.write(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                " WHERE status NOT IN ('pending', 'sending') AND updated_at < ? AND (kind != 'broadcast'"
                " OR ref IN (SELECT id FROM broadcasts WHERE outcome IS NOT NULL)) LIMIT ?)",
                (older_than, batch),
            )
            deleted += count
            if count < batch:
                return deleted

    async def _set(self, row: OutboxRow, status: str, *, only_if: str | None = None, **fields: Any) -> int:
        assignments = "".join(f", {name} = ?" for name in fields)
        guard = " AND status = ?" if only_if else ""
        return await self.db.write(
            f"UPDATE outbox SET status = ?, updated_at = ?{assignments} WHERE id = ?{guard}",
            (status, self.db.now(), *fields.values(), row.id, *([only_if] if only_if else [])),
        )


def _filters(kind: str | None, ref: int | None) -> tuple[str, tuple[Any, ...]]:
    clauses = [(" AND kind = ?", kind), (" AND ref = ?", ref)]
    used = [(sql, value) for sql, value in clauses if value is not None]
    return "".join(sql for sql, _ in used), tuple(value for _, value in used)
