"""Staff work on cases: status, assignment, notes, relayed messages, the message map, audit, lists."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.store.cases import OPEN_STATUSES, Case, _case
from bot.store.db import Database
from bot.store.outbox import NOTICE, enqueue

STATUSES = (*OPEN_STATUSES, "resolved")
CASE_FILTERS = ("open", "mine", "urgent", "all")


@dataclass(frozen=True)
class Outgoing:
    """A message to queue in the same transaction as the change it announces."""

    chat_id: int
    method: str
    payload: dict[str, Any]
    kind: str = ""
    ref: int | None = None
    priority: int = NOTICE


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


_FILTERS = {
    "open": ("status IN ('new', 'in_progress', 'referred')", ()),
    "urgent": ("urgent = 1 AND status IN ('new', 'in_progress', 'referred')", ()),
    "all": ("1 = 1", ()),
}


async def _enqueue_all(db: aiosqlite.Connection, items: Sequence[Outgoing], now: int) -> None:
    for item in items:
        await enqueue(
            db,
            chat_id=item.chat_id,
            method=item.method,
            payload=item.payload,
            now=now,
            kind=item.kind,
            ref=item.ref,
            priority=item.priority,
        )


class CaseworkStore:
    db: Database

    async def apply_change(self, case_id: int, actor: int, change: Change) -> Case:
        """One staff action as one transaction: case fields, event, audit line, queued messages."""
        now = self.db.now()
        async with self.db.transaction() as db:
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
            await _enqueue_all(db, change.outgoing, now)
            async with db.execute("SELECT * FROM cases WHERE id = ?", (case_id,)) as cursor:
                return _case(await cursor.fetchone())

    async def queue(self, items: Sequence[Outgoing]) -> None:
        """Queue messages on their own (e.g. a new case's card, after the case was committed)."""
        now = self.db.now()
        async with self.db.transaction() as db:
            await _enqueue_all(db, items, now)

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

    async def case_for_message(self, chat_id: int, message_id: int) -> Case | None:
        row = await self.db.fetch_one(
            "SELECT cases.* FROM case_messages JOIN cases ON cases.id = case_messages.case_id"
            " WHERE case_messages.chat_id = ? AND case_messages.message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else _case(row)

    async def case_messages(self, case_id: int, kind: str) -> list[tuple[int, int]]:
        rows = await self.db.fetch_all(
            "SELECT chat_id, message_id FROM case_messages WHERE case_id = ? AND kind = ?", (case_id, kind)
        )
        return [(row[0], row[1]) for row in rows]

    async def case_by_id(self, case_id: int) -> Case | None:
        row = await self.db.fetch_one("SELECT * FROM cases WHERE id = ?", (case_id,))
        return None if row is None else _case(row)

    async def cases_without_card(self, since: int) -> list[Case]:
        """Cases created since `since` whose staff card was never queued (a crash between commit and
        queueing). Older cases are not looked at: their sent cards' outbox rows are purged."""
        rows = await self.db.fetch_all(
            "SELECT * FROM cases WHERE created_at >= ? AND NOT EXISTS (SELECT 1 FROM outbox"
            " WHERE outbox.kind = 'case_card' AND outbox.ref = cases.id) ORDER BY created_at, id",
            (since,),
        )
        return [_case(row) for row in rows]

    async def list_cases(self, which: str, staff_id: int, offset: int = 0, limit: int = 10) -> CasePage:
        where, params = _FILTERS.get(which, ("assignee = ? AND status != 'resolved'", (staff_id,)))
        total = await self.db.fetch_value(f"SELECT COUNT(*) FROM cases WHERE {where}", params)
        rows = await self.db.fetch_all(
            f"SELECT * FROM cases WHERE {where}"
            " ORDER BY urgent DESC, updated_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return CasePage([_case(row) for row in rows], total, offset, limit)

    async def get_kv(self, key: str) -> str | None:
        return await self.db.fetch_value("SELECT value FROM settings_kv WHERE key = ?", (key,))

    async def set_kv(self, key: str, value: str) -> None:
        async with self.db.transaction() as db:
            await db.execute(
                "INSERT INTO settings_kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value, self.db.now()),
            )


_EXPORTS = {
    "reports": "SELECT reference, category, urgent, status, country, subject, lang, contact_method,"
    " contact_phone, description, assignee, created_at, updated_at FROM cases ORDER BY id",
    "registrations": "SELECT r.user_id, r.phone, r.province, r.district, r.village, w.relation,"
    " w.name AS worker_name, w.country, w.stage, w.updated_at"
    " FROM workers w JOIN registrations r ON r.user_id = w.user_id ORDER BY r.user_id, w.id",
}


class ReportingStore:
    """Counts and exports for staff (/stats, `stats`, `export`)."""

    db: Database

    async def export_rows(self, what: str) -> AsyncIterator[list[dict[str, Any]]]:
        """Every case (`reports`) or every registered worker with their family's registration
        (`registrations`), in batches: an export never holds the whole table in memory."""
        async for rows in self.db.stream(_EXPORTS[what]):
            yield [dict(row) for row in rows]

    async def stats_report(self) -> dict[str, Any]:
        now = self.db.now()
        week = 7 * 86400

        async def grouped(column: str) -> dict[str, int]:
            rows = await self.db.fetch_all(
                f"SELECT COALESCE({column}, '-'), COUNT(*) FROM cases GROUP BY 1 ORDER BY 2 DESC"
            )
            return {str(row[0]): row[1] for row in rows}

        return {
            "users": await self.db.fetch_value("SELECT COUNT(*) FROM users"),
            "blocked_users": await self.db.fetch_value("SELECT COUNT(*) FROM users WHERE blocked = 1"),
            "registrations": await self.db.fetch_value("SELECT COUNT(*) FROM registrations"),
            "workers": await self.db.fetch_value("SELECT COUNT(*) FROM workers"),
            "cases_by_status": await grouped("status"),
            "cases_by_category": await grouped("category"),
            "cases_by_country": await grouped("country"),
            "cases_this_week": await self.db.fetch_value(
                "SELECT COUNT(*) FROM cases WHERE created_at >= ?", (now - week,)
            ),
            "cases_last_week": await self.db.fetch_value(
                "SELECT COUNT(*) FROM cases WHERE created_at >= ? AND created_at < ?",
                (now - 2 * week, now - week),
            ),
            "users_this_week": await self.db.fetch_value(
                "SELECT COUNT(*) FROM users WHERE first_seen >= ?", (now - week,)
            ),
            "users_last_week": await self.db.fetch_value(
                "SELECT COUNT(*) FROM users WHERE first_seen >= ? AND first_seen < ?",
                (now - 2 * week, now - week),
            ),
        }
