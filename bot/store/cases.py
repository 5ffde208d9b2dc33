"""Cases: problem reports and questions to staff, their events and attachments."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import aiosqlite

from bot.store.db import Database
from bot.store.roles import place_case

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
    erased_at: int | None = None  # its personal data is gone: staff keep a shell
    erase_on_close: bool = False  # the reporter asked /deletedata to erase it once it is closed
    idle_warned_at: int | None = None  # retention told staff it will be closed for being idle
    urgent_at: int | None = None  # when it became urgent (opened so, or a later message read as danger)

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
    caption: str | None = None


# (kind, Telegram file_id) or (kind, file_id, caption) of each attached file
Files = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class NewCase:
    """A report or a question as it is written; the reference, status and urgency come from the store."""

    category: str
    subject: str  # "me", "family" (then worker_id) or "other"
    contact_method: str
    lang: str
    description: str | None = None
    worker_id: int | None = None
    country: str | None = None
    contact_phone: str | None = None
    files: Files = ()
    urgent: bool = False  # the story reads as danger: urgent whatever the category


@dataclass(frozen=True)
class Followup:
    """More information ("info") or a message ("message_in") from the reporter on an open case."""

    case_id: int
    reference: str
    kind: str
    text: str
    files: Files = ()


@dataclass(frozen=True)
class Note:
    """A staff member's note on a case."""

    case_id: int
    reference: str
    text: str


def _case(row: aiosqlite.Row) -> Case:
    data = dict(row)
    return Case(
        **{**data, "urgent": bool(data["urgent"]), "erase_on_close": bool(data.get("erase_on_close"))}
    )


async def _attach(db: aiosqlite.Connection, case_id: int, event_id: int, files: Files, now: int) -> None:
    await db.executemany(
        "INSERT INTO attachments (case_id, event_id, kind, file_id, caption, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(case_id, event_id, f[0], f[1], (f[2] if len(f) > 2 else None) or None, now) for f in files],
    )


_COLUMNS = (
    "category",
    "subject",
    "worker_id",
    "country",
    "description",
    "contact_method",
    "contact_phone",
    "lang",
)


async def insert_case(db: aiosqlite.Connection, user_id: int, new: NewCase, now: int) -> Case:
    """One case with its 'created' event and attachments, inside the caller's transaction."""
    values = [getattr(new, column) for column in _COLUMNS]
    urgent = int(new.urgent or new.category in URGENT_CATEGORIES)
    for _ in range(10):
        reference = new_reference()
        async with db.execute("SELECT 1 FROM cases WHERE reference = ?", (reference,)) as cursor:
            if await cursor.fetchone() is None:
                break
    cursor = await db.execute(
        f"INSERT INTO cases (reference, user_id, urgent, urgent_at, {', '.join(_COLUMNS)}, created_at,"
        f" updated_at) VALUES (?, ?, ?, ?, {', '.join('?' * len(_COLUMNS))}, ?, ?)",
        (reference, user_id, urgent, now if urgent else None, *values, now, now),
    )
    case_id = cursor.lastrowid
    event = await db.execute(
        "INSERT INTO case_events (case_id, kind, actor, new_status, created_at)"
        " VALUES (?, 'created', ?, 'new', ?)",
        (case_id, user_id, now),
    )
    await _attach(db, case_id, event.lastrowid, new.files, now)
    await place_case(db, case_id, user_id)
    async with db.execute("SELECT * FROM cases WHERE id = ?", (case_id,)) as cursor:
        return _case(await cursor.fetchone())


async def write_followup(db: aiosqlite.Connection, user_id: int, followup: Followup, now: int) -> Followup:
    """The reporter's information or message as one case event (inside the caller's transaction)."""
    event = await db.execute(
        "INSERT INTO case_events (case_id, kind, actor, body, created_at) VALUES (?, ?, ?, ?, ?)",
        (followup.case_id, followup.kind, user_id, followup.text, now),
    )
    await _attach(db, followup.case_id, event.lastrowid, followup.files, now)
    await db.execute("UPDATE cases SET updated_at = ? WHERE id = ?", (now, followup.case_id))
    return followup


async def set_urgent_details(
    db: aiosqlite.Connection,
    user_id: int,
    case_id: int,
    country: str | None,
    contact: str,
    phone: str | None,
    now: int,
) -> None:
    """The optional follow-ups of a one-tap urgent case, on the user's own case: its country (None
    keeps the one known) and how staff may contact the person."""
    await db.execute(
        "UPDATE cases SET country = COALESCE(?, country), contact_method = ?, contact_phone = ?,"
        " updated_at = ? WHERE id = ? AND user_id = ?",
        (country, contact, phone, now, case_id, user_id),
    )


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

    async def cases_of(self, user_id: int, limit: int = 10, offset: int = 0) -> list[Case]:
        """The user's cases, newest first, a page at a time."""
        rows = await self.db.fetch_all(
            "SELECT * FROM cases WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
        return [_case(row) for row in rows]

    async def count_cases_of(self, user_id: int) -> int:
        return await self.db.fetch_value("SELECT COUNT(*) FROM cases WHERE user_id = ?", (user_id,))

    async def case_events(self, case_id: int) -> list[CaseEvent]:
        rows = await self.db.fetch_all("SELECT * FROM case_events WHERE case_id = ? ORDER BY id", (case_id,))
        return [CaseEvent(**dict(row)) for row in rows]

    async def case_attachments(self, case_id: int) -> list[Attachment]:
        rows = await self.db.fetch_all(
            "SELECT id, case_id, event_id, kind, file_id, caption FROM attachments WHERE case_id = ?"
            " ORDER BY id",
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
        new = NewCase(label, "me", "telegram", lang, description=text, country=country, urgent=True)
        async with self.db.transaction() as db:
            async with db.execute(
                "SELECT * FROM cases WHERE user_id = ? AND category = ? AND description IS ?"
                " AND created_at >= ? ORDER BY id DESC LIMIT 1",
                (user_id, label, text, now - 600),
            ) as cursor:
                same = await cursor.fetchone()
            if same is not None:
                return _case(same), False
            case = await insert_case(db, user_id, new, now)
            await db.execute(
                "INSERT INTO audit (actor, action, case_id, detail, created_at)"
                " VALUES (?, 'urgent_open', ?, 'vital_interest', ?)",
                (user_id, case.id, now),
            )
        return case, True


async def write_note(db: aiosqlite.Connection, actor: int, note: Note, now: int) -> Note:
    """A staff note on a case: an event and an audit line (inside the caller's transaction)."""
    await db.execute(
        "INSERT INTO case_events (case_id, kind, actor, body, created_at) VALUES (?, 'note', ?, ?, ?)",
        (note.case_id, actor, note.text, now),
    )
    await db.execute(
        "INSERT INTO audit (actor, action, case_id, created_at) VALUES (?, 'note', ?, ?)",
        (actor, note.case_id, now),
    )
    return note
