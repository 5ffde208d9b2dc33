"""Wizard drafts: one per user, committed at every step, the idempotency key of the result."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.store.db import Database


class DraftGone(Exception):
    """The draft was finished, cancelled or replaced meanwhile (a double tap, a stale button)."""


@dataclass(frozen=True)
class Draft:
    user_id: int
    chat_id: int
    flow: str
    token: str
    step: str
    answers: dict[str, Any] = field(default_factory=dict)
    path: tuple[str, ...] = ()
    editing: bool = False
    last_message_id: int = 0
    created_at: int = 0
    updated_at: int = 0


def _draft(row: aiosqlite.Row | dict[str, Any]) -> Draft:
    return Draft(
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        flow=row["flow"],
        token=row["token"],
        step=row["step"],
        answers=json.loads(row["answers"]),
        path=tuple(json.loads(row["path"])),
        editing=bool(row["editing"]),
        last_message_id=row["last_message_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class DraftStore:
    db: Database

    async def get_draft(self, user_id: int) -> Draft | None:
        row = await self.db.fetch_one("SELECT * FROM drafts WHERE user_id = ?", (user_id,))
        return None if row is None else _draft(row)

    async def start_draft(
        self, user_id: int, chat_id: int, flow: str, step: str, answers: dict[str, Any] | None = None
    ) -> Draft:
        """A new draft (replacing any old one of this user), with a fresh token for its buttons."""
        now = self.db.now()
        token = secrets.token_hex(3)
        async with self.db.transaction() as db:
            await db.execute("DELETE FROM drafts WHERE user_id = ?", (user_id,))
            await db.execute(
                "INSERT INTO drafts (user_id, chat_id, flow, token, step, answers, path, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    user_id,
                    chat_id,
                    flow,
                    token,
                    step,
                    json.dumps(answers or {}, ensure_ascii=False),
                    json.dumps([step]),
                    now,
                    now,
                ),
            )
        return await self.get_draft(user_id)

    async def save_draft(self, draft: Draft) -> Draft:
        """Commit the draft's step and answers, if it is still the same draft (same token)."""
        now = self.db.now()
        changed = await self.db.write(
            "UPDATE drafts SET step = ?, answers = ?, path = ?, editing = ?, last_message_id = ?,"
            " updated_at = ? WHERE user_id = ? AND token = ?",
            (
                draft.step,
                json.dumps(draft.answers, ensure_ascii=False),
                json.dumps(draft.path),
                int(draft.editing),
                draft.last_message_id,
                now,
                draft.user_id,
                draft.token,
            ),
        )
        if changed != 1:
            raise DraftGone
        return await self.get_draft(draft.user_id)

    async def delete_draft(self, user_id: int, token: str | None = None) -> bool:
        deleted = await self.db.write(
            "DELETE FROM drafts WHERE user_id = ? AND (? IS NULL OR token = ?)", (user_id, token, token)
        )
        return deleted > 0

    async def complete_draft(
        self, draft: Draft, write: Callable[[aiosqlite.Connection, Draft], Awaitable[Any]]
    ) -> Any:
        """Delete the draft and write its result in one transaction; a second call raises DraftGone."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM drafts WHERE user_id = ? AND token = ? AND step = ?",
                (draft.user_id, draft.token, draft.step),
            )
            if cursor.rowcount != 1:
                raise DraftGone
            return await write(db, draft)

    async def pause_draft(self, user_id: int) -> Draft | None:
        """Set the user's open draft aside (a report or an urgent case goes first); returns it.
        One paused draft per flow: pausing the same flow again keeps the newer one."""
        async with self.db.transaction() as db:
            async with db.execute("SELECT * FROM drafts WHERE user_id = ?", (user_id,)) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            await db.execute(
                "INSERT INTO paused_drafts (user_id, flow, draft, paused_at, seq) VALUES (?, ?, ?, ?,"
                " (SELECT COALESCE(MAX(seq), 0) + 1 FROM paused_drafts WHERE user_id = ?))"
                " ON CONFLICT (user_id, flow)"
                " DO UPDATE SET draft = excluded.draft, paused_at = excluded.paused_at, seq = excluded.seq",
                (user_id, row["flow"], json.dumps(dict(row), ensure_ascii=False), self.db.now(), user_id),
            )
            await db.execute("DELETE FROM drafts WHERE user_id = ?", (user_id,))
        return _draft(row)

    async def paused_flow(self, user_id: int) -> str | None:
        """The flow of the user's most recently paused draft, if any."""
        return await self.db.fetch_value(
            "SELECT flow FROM paused_drafts WHERE user_id = ? ORDER BY paused_at DESC, seq DESC LIMIT 1",
            (user_id,),
        )

    async def resume_draft(self, user_id: int, flow: str) -> Draft | None:
        """Make the paused draft of `flow` the user's open draft again, where it was; None when there
        is none, or another draft is open (that one is not overwritten)."""
        async with self.db.transaction() as db:
            async with db.execute(
                "SELECT draft FROM paused_drafts WHERE user_id = ? AND flow = ?", (user_id, flow)
            ) as cursor:
                row = await cursor.fetchone()
            async with db.execute("SELECT 1 FROM drafts WHERE user_id = ?", (user_id,)) as cursor:
                busy = await cursor.fetchone() is not None
            if row is None or busy:
                return None
            fields = {**json.loads(row[0]), "updated_at": self.db.now()}
            names = ", ".join(fields)
            await db.execute(
                f"INSERT INTO drafts ({names}) VALUES ({', '.join('?' * len(fields))})",
                tuple(fields.values()),
            )
            await db.execute("DELETE FROM paused_drafts WHERE user_id = ? AND flow = ?", (user_id, flow))
        return await self.get_draft(user_id)

    async def purge_drafts(self, older_than: int) -> int:
        """Delete drafts (open or paused) untouched since `older_than` (unix seconds)."""
        async with self.db.transaction() as db:
            cursor = await db.execute("DELETE FROM drafts WHERE updated_at < ?", (older_than,))
            paused = await db.execute("DELETE FROM paused_drafts WHERE paused_at < ?", (older_than,))
        return cursor.rowcount + paused.rowcount
