"""Staff work on cases: status, assignment, notes, relayed messages, the message map, audit, lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.store.cases import Case, Note, _case, write_note
from bot.store.db import Database
from bot.store.outbox import Outgoing, enqueue_all
from bot.store.roles import scope_sql

CASE_FILTERS = ("open", "mine", "urgent", "all")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    actor: int
    action: str
    case_id: int | None
    detail: str | None
    created_at: int


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    total: int
    offset: int
    limit: int = 10


@dataclass(frozen=True)
class Change:
    """What a staff action writes: fields of the case, one event, one audit line, messages to queue."""

    event: str
    body: str | None = None
    status: str | None = None
    assignee: int | None = None
    outgoing: Sequence[Outgoing] = field(default_factory=tuple)
    source: tuple[int, int] | None = None  # (chat, message) it answers: a redelivered update acts once


_FILTERS = {
    "open": ("status IN ('new', 'in_progress', 'referred')", ()),
    "urgent": ("urgent = 1 AND status IN ('new', 'in_progress', 'referred')", ()),
    "all": ("1 = 1", ()),
}


class CaseworkStore:
    db: Database

    async def apply_change(self, case_id: int, actor: int, change: Change) -> Case | None:
        """One staff action as one transaction: case fields, event, audit line, queued messages.
        None when the change's source message was already applied (a redelivered update)."""
        now = self.db.now()
        async with self.db.transaction() as db:
            if change.source is not None:
                cursor = await db.execute(
                    "INSERT INTO case_messages (chat_id, message_id, case_id, kind, created_at)"
                    " VALUES (?, ?, ?, 'incoming', ?) ON CONFLICT DO NOTHING",
                    (*change.source, case_id, now),
                )
                if cursor.rowcount == 0:
                    return None
            async with db.execute("SELECT status FROM cases WHERE id = ?", (case_id,)) as cursor:
                old = (await cursor.fetchone())[0]
            await db.execute(
                "UPDATE cases SET status = COALESCE(?, status), assignee = COALESCE(?, assignee),"
                " updated_at = ? WHERE id = ?",
                (change.status, change.assignee, now, case_id),
            )
            await db.execute(
                "INSERT INTO case_events (case_id, kind, actor, body, old_status, new_status, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    case_id,
                    change.event,
                    actor,
                    change.body,
                    old if change.status else None,
                    change.status,
                    now,
                ),
            )
            await db.execute(
                "INSERT INTO audit (actor, action, case_id, detail, created_at) VALUES (?, ?, ?, ?, ?)",
                (actor, change.event, case_id, change.status or None, now),
            )
            await enqueue_all(db, change.outgoing, now)
            async with db.execute("SELECT * FROM cases WHERE id = ?", (case_id,)) as cursor:
                return _case(await cursor.fetchone())

    async def undo_resolve(self, case_id: int, actor: int, window: int) -> Case | None:
        """Undo "resolved" set at most `window` seconds ago: the status before it is back, and the
        reporter's notice still held in the outbox is cancelled. None when it is too late."""
        now = self.db.now()
        async with self.db.transaction() as db:
            async with db.execute(
                "SELECT cases.status, e.old_status, e.created_at FROM cases JOIN case_events AS e"
                " ON e.case_id = cases.id WHERE cases.id = ? AND e.new_status IS NOT NULL"
                " ORDER BY e.id DESC LIMIT 1",
                (case_id,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None or row[0] != "resolved" or row[1] is None or now - row[2] > window:
                return None
            await db.execute(
                "UPDATE cases SET status = ?, updated_at = ? WHERE id = ?", (row[1], now, case_id)
            )
            await db.execute(
                "INSERT INTO case_events (case_id, kind, actor, old_status, new_status, created_at)"
                " VALUES (?, 'undo', ?, 'resolved', ?, ?)",
                (case_id, actor, row[1], now),
            )
            await db.execute(
                "INSERT INTO audit (actor, action, case_id, detail, created_at) VALUES (?, 'undo', ?, ?, ?)",
                (actor, case_id, row[1], now),
            )
            await db.execute(
                "UPDATE outbox SET status = 'cancelled', updated_at = ? WHERE status = 'held'"
                " AND kind = 'notice' AND ref = ?",
                (now, case_id),
            )
            async with db.execute("SELECT * FROM cases WHERE id = ?", (case_id,)) as cursor:
                return _case(await cursor.fetchone())

    async def add_note(self, actor: int, note: Note) -> Note:
        async with self.db.transaction() as db:
            return await write_note(db, actor, note, self.db.now())

    async def queue(self, items: Sequence[Outgoing]) -> None:
        """Queue messages on their own (e.g. a new case's card, after the case was committed)."""
        now = self.db.now()
        async with self.db.transaction() as db:
            await enqueue_all(db, items, now)

    async def audit(
        self, actor: int, action: str, case_id: int | None = None, detail: str | None = None
    ) -> None:
        await self.db.write(
            "INSERT INTO audit (actor, action, case_id, detail, created_at) VALUES (?, ?, ?, ?, ?)",
            (actor, action, case_id, detail, self.db.now()),
        )

    async def case_audit(self, case_id: int) -> list[AuditEntry]:
        rows = await self.db.fetch_all("SELECT * FROM audit WHERE case_id = ? ORDER BY id", (case_id,))
        return [AuditEntry(**dict(row)) for row in rows]

    async def record_case_message(self, chat_id: int, message_id: int, case_id: int, kind: str) -> None:
        """Remember which case a message in a chat belongs to (forward headers cannot be relied on)."""
        await self.db.write(
            "INSERT INTO case_messages (chat_id, message_id, case_id, kind, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, message_id) DO UPDATE SET"
            " case_id = excluded.case_id, kind = excluded.kind, created_at = excluded.created_at",
            (chat_id, message_id, case_id, kind, self.db.now()),
        )

    async def case_for_message(
        self, chat_id: int, message_id: int, kinds: Sequence[str] = ("card", "relay")
    ) -> Case | None:
        """The case a message in a chat belongs to, if it is one of these kinds (card, relay, note)."""
        row = await self.db.fetch_one(
            "SELECT cases.* FROM case_messages JOIN cases ON cases.id = case_messages.case_id"
            " WHERE case_messages.chat_id = ? AND case_messages.message_id = ?"
            f" AND case_messages.kind IN ({', '.join('?' * len(kinds))})",
            (chat_id, message_id, *kinds),
        )
        return None if row is None else _case(row)

    async def case_messages(self, case_id: int, kind: str) -> list[tuple[int, int]]:
        rows = await self.db.fetch_all(
            "SELECT chat_id, message_id FROM case_messages WHERE case_id = ? AND kind = ?", (case_id, kind)
        )
        return [(row[0], row[1]) for row in rows]

    async def cases_without_card(self, since: int) -> list[Case]:
        """Cases created since `since` whose staff card was never queued (a crash between commit and
        queueing). Older cases are not looked at: their sent cards' outbox rows are purged."""
        rows = await self.db.fetch_all(
            "SELECT * FROM cases WHERE created_at >= ? AND NOT EXISTS (SELECT 1 FROM outbox"
            " WHERE outbox.kind IN ('case_card', 'topic_create') AND outbox.ref = cases.id)"
            " AND erased_at IS NULL ORDER BY created_at, id",
            (since,),
        )
        return [_case(row) for row in rows]

    async def unattended_urgent(self, urgent_before: int, below: int) -> list[Case]:
        """Urgent cases nobody has taken (still new, no assignee), urgent since before `urgent_before`,
        escalated less than `below`."""
        rows = await self.db.fetch_all(
            "SELECT * FROM cases INDEXED BY cases_unattended WHERE urgent = 1 AND status = 'new'"
            " AND assignee IS NULL AND escalated < 2 AND urgent_at < ? AND escalated < ?"
            " ORDER BY urgent_at, id",
            (urgent_before, below),
        )
        return [_case(row) for row in rows]

    async def escalate(self, case_id: int, level: int, outgoing: Sequence[Outgoing]) -> bool:
        """One escalation step as one transaction: the level (if the case is still untaken and below
        it), an audit line (actor 0: the bot), the alerts queued. False when someone took it meanwhile."""
        now = self.db.now()
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE cases SET escalated = ? WHERE id = ? AND escalated < ? AND status = 'new'"
                " AND assignee IS NULL",
                (level, case_id, level),
            )
            if cursor.rowcount != 1:
                return False
            await db.execute(
                "INSERT INTO audit (actor, action, case_id, detail, created_at)"
                " VALUES (0, 'escalate', ?, ?, ?)",
                (case_id, str(level), now),
            )
            await enqueue_all(db, outgoing, now)
        return True

    async def list_cases(self, which: str, staff_id: int, offset: int = 0, limit: int = 10) -> CasePage:
        where, params = _FILTERS.get(which, ("assignee = ? AND status != 'resolved'", (staff_id,)))
        scope, scope_params = scope_sql(staff_id)  # an officer lists only the places they serve
        where, params = f"{where} AND {scope}", (*params, *scope_params)
        total = await self.db.fetch_value(f"SELECT COUNT(*) FROM cases WHERE {where}", params)
        rows = await self.db.fetch_all(
            f"SELECT * FROM cases WHERE {where}"
            " ORDER BY urgent DESC, updated_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return CasePage([_case(row) for row in rows], total, offset, limit)
