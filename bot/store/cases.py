"""Cases: problem reports and questions to staff, their events and attachments."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.store.db import Database
from bot.store.drafts import Draft

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
URGENT_CATEGORIES = frozenset({"abuse", "trafficking"})
OPEN_STATUSES = ("new", "in_progress", "referred")


def new_reference() -> str:
    """LP- and six characters that cannot be confused (no 0/O, 1/I)."""
    return "LP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


@dataclass(frozen=True)
class Case:
    id: int
    reference: str
    user_id: int | None
    category: str
    urgent: bool
    subject: str
    worker_id: int | None
    country: str | None
    description: str | None
    contact_method: str
    contact_phone: str | None
    lang: str
    status: str
    assignee: int | None
    created_at: int
    updated_at: int
    escalated: int = 0  # 0, or how far an urgent case nobody took was escalated (bot/outbox/escalation.py)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class CaseEvent:
    id: int
    case_id: int
    kind: str
    actor: int | None
    body: str | None
    old_status: str | None
    new_status: str | None
    created_at: int


@dataclass(frozen=True)
class Attachment:
    id: int
    case_id: int
    event_id: int | None
    kind: str
    file_id: str


def _case(row: aiosqlite.Row) -> Case:
    return Case(**{**dict(row), "urgent": bool(row["urgent"])})


async def _attach(db: aiosqlite.Connection, case_id: int, event_id: int, files: list, now: int) -> None:
    await db.executemany(
        "INSERT INTO attachments (case_id, event_id, kind, file_id, created_at) VALUES (?, ?, ?, ?, ?)",
        [(case_id, event_id, kind, file_id, now) for kind, file_id in files],
    )


async def insert_case(db: aiosqlite.Connection, user_id: int, fields: dict[str, Any], now: int) -> Case:
    """One case with its 'created' event and attachments, inside the caller's transaction."""
    files = fields.pop("files", [])
    columns = (
        "category",
        "subject",
        "worker_id",
        "country",
        "description",
        "contact_method",
        "contact_phone",
        "lang",
    )
    values = [fields.get(column) for column in columns]
    # Urgent by its category, or because the caller found danger in the story (fields["urgent"]).
    urgent = int(bool(fields.get("urgent")) or fields["category"] in URGENT_CATEGORIES)
    for _ in range(10):
        reference = new_reference()
        async with db.execute("SELECT 1 FROM cases WHERE reference = ?", (reference,)) as cursor:
            if await cursor.fetchone() is None:
                break
    cursor = await db.execute(
        f"INSERT INTO cases (reference, user_id, urgent, {', '.join(columns)}, created_at, updated_at)"
        f" VALUES (?, ?, ?, {', '.join('?' * len(columns))}, ?, ?)",
        (reference, user_id, urgent, *values, now, now),
    )
    case_id = cursor.lastrowid
    event = await db.execute(
        "INSERT INTO case_events (case_id, kind, actor, new_status, created_at)"
        " VALUES (?, 'created', ?, 'new', ?)",
        (case_id, user_id, now),
    )
    await _attach(db, case_id, event.lastrowid, files, now)
    async with db.execute("SELECT * FROM cases WHERE id = ?", (case_id,)) as cursor:
        return _case(await cursor.fetchone())


async def write_report(db: aiosqlite.Connection, draft: Draft, *, urgent: bool = False) -> Case:
    """The report wizard's result (runs inside the transaction that deletes the draft); `urgent` when
    the story reads as danger, whatever the category."""
    a = draft.answers
    worker = a["subject"][1:] if a["subject"].startswith("w") else None
    subject = "family" if worker else a["subject"]
    country = a.get("country") or next((w[2] for w in a.get("_workers", []) if str(w[0]) == worker), None)
    fields = {
        "category": a["category"],
        "subject": subject,
        "worker_id": int(worker) if worker else None,
        "country": country,
        "description": a.get("description"),
        "contact_method": a["contact"],
        "contact_phone": a.get("phone"),
        "lang": a.get("_lang", "id"),
        "files": [*a.get("_files", {}).get("description", []), *a.get("_files", {}).get("evidence", [])],
        "urgent": urgent,
    }
    return await insert_case(db, draft.user_id, fields, draft.updated_at)


async def write_question(db: aiosqlite.Connection, draft: Draft) -> Case:
    """'Ask staff': a case of category 'question'."""
    fields = {
        "category": "question",
        "subject": "me",
        "description": draft.answers["question"],
        "contact_method": "telegram",
        "lang": draft.answers.get("_lang", "id"),
    }
    return await insert_case(db, draft.user_id, fields, draft.updated_at)


async def write_followup(db: aiosqlite.Connection, draft: Draft) -> dict[str, Any]:
    """More information or a message for staff on an open case: one case event."""
    a = draft.answers
    files = a.get("_files", {}).get("text", [])
    event = await db.execute(
        "INSERT INTO case_events (case_id, kind, actor, body, created_at) VALUES (?, ?, ?, ?, ?)",
        (a["_case"], a["_kind"], draft.user_id, a["text"], draft.updated_at),
    )
    await _attach(db, a["_case"], event.lastrowid, files, draft.updated_at)
    await db.execute("UPDATE cases SET updated_at = ? WHERE id = ?", (draft.updated_at, a["_case"]))
    return {
        "reference": a["_reference"],
        "case_id": a["_case"],
        "kind": a["_kind"],
        "text": a["text"],
        "files": files,
    }


async def write_urgent_details(db: aiosqlite.Connection, draft: Draft) -> dict[str, Any]:
    """The optional follow-ups of a one-tap urgent case: its country (unless skipped) and how staff
    may contact the person, on the user's own case."""
    a = draft.answers
    country = a.get("country") if a.get("country") not in (None, "skip") else None
    await db.execute(
        "UPDATE cases SET country = COALESCE(?, country), contact_method = ?, contact_phone = ?,"
        " updated_at = ? WHERE id = ? AND user_id = ?",
        (country, a["contact"], a.get("phone"), draft.updated_at, a["_case"], draft.user_id),
    )
    return {"reference": a["_reference"], "case_id": a["_case"], "country": country, "contact": a["contact"]}


class CaseStore:
    db: Database

    async def case_by_id(self, case_id: int) -> Case | None:
        row = await self.db.fetch_one("SELECT * FROM cases WHERE id = ?", (case_id,))
        return None if row is None else _case(row)

    async def case_by_reference(self, reference: str, *, user_id: int | None = None) -> Case | None:
        """A case by reference; with user_id, only if it is that user's (else None, like a missing one)."""
        row = await self.db.fetch_one(
            "SELECT * FROM cases WHERE reference = ? AND (? IS NULL OR user_id = ?)",
            (reference.upper(), user_id, user_id),
        )
        return None if row is None else _case(row)

    async def cases_of(self, user_id: int, limit: int = 10) -> list[Case]:
        rows = await self.db.fetch_all(
            "SELECT * FROM cases WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (user_id, limit),
        )
        return [_case(row) for row in rows]

    async def case_events(self, case_id: int) -> list[CaseEvent]:
        rows = await self.db.fetch_all("SELECT * FROM case_events WHERE case_id = ? ORDER BY id", (case_id,))
        return [CaseEvent(**dict(row)) for row in rows]

    async def case_attachments(self, case_id: int) -> list[Attachment]:
        rows = await self.db.fetch_all(
            "SELECT id, case_id, event_id, kind, file_id FROM attachments WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        return [Attachment(**dict(row)) for row in rows]

    async def cases_since(self, user_id: int, since: int) -> int:
        """How many cases this user opened since `since` (the rolling daily limit)."""
        return await self.db.fetch_value(
            "SELECT COUNT(*) FROM cases WHERE user_id = ? AND created_at >= ?", (user_id, since)
        )

    async def open_urgent_case(
        self, user_id: int, label: str, text: str | None, country: str | None, lang: str
    ) -> tuple[Case, bool]:
        """The one-tap urgent case: the message as typed, category "danger" or "self_harm", contact by
        this chat, opened under vital interest (the audit says so). A second tap on the same message
        within 10 minutes finds the first case: returns (case, whether it is new)."""
        now = self.db.now()
        async with self.db.transaction() as db:
            async with db.execute(
                "SELECT * FROM cases WHERE user_id = ? AND category = ? AND description IS ?"
                " AND created_at >= ? ORDER BY id DESC LIMIT 1",
                (user_id, label, text, now - 600),
            ) as cursor:
                same = await cursor.fetchone()
            if same is not None:
                return _case(same), False
            fields = {
                "category": label,
                "subject": "me",
                "country": country,
                "description": text,
                "contact_method": "telegram",
                "lang": lang,
                "urgent": True,
            }
            case = await insert_case(db, user_id, fields, now)
            await db.execute(
                "INSERT INTO audit (actor, action, case_id, detail, created_at)"
                " VALUES (?, 'urgent_open', ?, 'vital_interest', ?)",
                (user_id, case.id, now),
            )
        return case, True

    async def count_cases(self) -> dict[str, int]:
        rows = await self.db.fetch_all("SELECT status, COUNT(*) FROM cases GROUP BY status")
        return {row[0]: row[1] for row in rows}


async def write_note(db: aiosqlite.Connection, draft: Draft) -> dict[str, Any]:
    """A staff note on a case (the note wizard's result): an event and an audit line."""
    a = draft.answers
    await db.execute(
        "INSERT INTO case_events (case_id, kind, actor, body, created_at) VALUES (?, 'note', ?, ?, ?)",
        (a["_case"], draft.user_id, a["text"], draft.updated_at),
    )
    await db.execute(
        "INSERT INTO audit (actor, action, case_id, created_at) VALUES (?, 'note', ?, ?)",
        (draft.user_id, a["_case"], draft.updated_at),
    )
    return {"reference": a["_reference"]}
