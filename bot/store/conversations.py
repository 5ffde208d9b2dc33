"""Reporters in conversation with staff: which of their cases a plain message belongs to, and the
message itself written to that case (reopening it when it was resolved)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.store.cases import Case, Files, _attach, _case
from bot.store.db import Database
from bot.store.outbox import Outgoing, enqueue_all

# A case is "in conversation" while one of these happened within the window: staff wrote to the
# reporter (a message or a status notice), or the reporter wrote to staff (a question, a message).
_CONVERSING = (
    "(e.kind IN ('message_out', 'message_in', 'info', 'status', 'reopen')"
    " OR (e.kind = 'assign' AND e.new_status IS NOT NULL)"
    " OR (e.kind = 'created' AND cases.category = 'question'))"
)


@dataclass(frozen=True)
class Conversation:
    case: Case
    last: int  # when the last message went either way


@dataclass(frozen=True)
class ReporterMessage:
    """What a reporter sent on a case: words (typed, or a file's caption) and files."""

    text: str | None
    files: Files = ()
    danger: str | None = None  # "danger" or "self_harm" when the words read so: the case becomes urgent


def reopened_status(case: Case) -> str:
    """A resolved case the reporter writes to again: back to whoever had it, else new."""
    return "in_progress" if case.assignee else "new"


class ConversationStore:
    db: Database

    async def conversations(self, user_id: int, since: int) -> list[Conversation]:
        """The user's cases in conversation since `since`, the most recent first."""
        rows = await self.db.fetch_all(
            "SELECT cases.*, MAX(e.created_at) AS last_contact FROM cases"
            " JOIN case_events AS e ON e.case_id = cases.id"
            f" WHERE cases.user_id = ? AND e.created_at >= ? AND {_CONVERSING}"
            " GROUP BY cases.id ORDER BY last_contact DESC, cases.id DESC",
            (user_id, since),
        )
        talks = []
        for row in rows:
            fields = dict(row)
            last = fields.pop("last_contact")
            talks.append(Conversation(_case(fields), last))
        return talks

    async def chosen_case(self, user_id: int) -> tuple[int, int] | None:
        """(case id, when) the user last said their messages are about."""
        row = await self.db.fetch_one(
            "SELECT case_id, chosen_at FROM conversations WHERE user_id = ?", (user_id,)
        )
        return None if row is None else (row[0], row[1])

    async def choose_case(self, user_id: int, case_id: int) -> None:
        await self.db.write(
            "INSERT INTO conversations (user_id, case_id, chosen_at) VALUES (?, ?, ?) ON CONFLICT (user_id)"
            " DO UPDATE SET case_id = excluded.case_id, chosen_at = excluded.chosen_at",
            (user_id, case_id, self.db.now()),
        )

    async def add_reporter_message(
        self,
        case: Case,
        message: ReporterMessage,
        outgoing: Sequence[Outgoing],
        source: tuple[int, int] | None = None,
    ) -> Case | None:
        """One transaction: a resolved case reopens, a case not yet urgent becomes urgent when the
        message reads as danger (audited; escalation counts from now), the message and its files
        become an event, the messages for staff are queued, and this case becomes the one the
        reporter is talking about. None when `source` (chat, message) was already delivered (a
        redelivered update)."""
        now = self.db.now()
        async with self.db.transaction() as db:
            if source is not None:
                cursor = await db.execute(
                    "INSERT INTO case_messages (chat_id, message_id, case_id, kind, created_at)"
                    " VALUES (?, ?, ?, 'incoming', ?) ON CONFLICT DO NOTHING",
                    (*source, case.id, now),
                )
                if cursor.rowcount == 0:
                    return None
            async with db.execute("SELECT * FROM cases WHERE id = ?", (case.id,)) as cursor:
                current = _case(await cursor.fetchone())
            if current.status == "resolved":
                status = reopened_status(current)
                await db.execute(
                    "INSERT INTO case_events (case_id, kind, actor, old_status, new_status, created_at)"
                    " VALUES (?, 'reopen', ?, 'resolved', ?, ?)",
                    (case.id, current.user_id, status, now),
                )
                await db.execute("UPDATE cases SET status = ? WHERE id = ?", (status, case.id))
            if message.danger and not current.urgent:
                await _make_urgent(db, current, message.danger, now)
            event = await db.execute(
                "INSERT INTO case_events (case_id, kind, actor, body, created_at)"
                " VALUES (?, 'message_in', ?, ?, ?)",
                (case.id, current.user_id, message.text, now),
            )
            await _attach(db, case.id, event.lastrowid, message.files, now)
            await db.execute("UPDATE cases SET updated_at = ? WHERE id = ?", (now, case.id))
            await enqueue_all(db, outgoing, now)
            await db.execute(
                "INSERT INTO conversations (user_id, case_id, chosen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id)"
                " DO UPDATE SET case_id = excluded.case_id, chosen_at = excluded.chosen_at",
                (current.user_id, case.id, now),
            )
            async with db.execute("SELECT * FROM cases WHERE id = ?", (case.id,)) as cursor:
                return _case(await cursor.fetchone())


async def _make_urgent(db: aiosqlite.Connection, case: Case, danger: str, now: int) -> None:
    """The case becomes urgent as if opened so (🚨, first in /cases, escalated if nobody takes it),
    with an audit line naming what the reporter's message read as."""
    await db.execute("UPDATE cases SET urgent = 1, urgent_at = ?, escalated = 0 WHERE id = ?", (now, case.id))
    await db.execute(
        "INSERT INTO audit (actor, action, case_id, detail, created_at)"
        " VALUES (?, 'urgent_message', ?, ?, ?)",
        (case.user_id, case.id, danger, now),
    )
