"""Forum topics of cases: when the staff chat is a forum, each case has one topic, its thread id
kept here with the name and open/closed state the bot last gave it (bot/outbox/topics.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.cases import Case, _case
from bot.store.db import Database
from bot.store.outbox import Outgoing, enqueue_all

RENAME = "topic_rename"  # the outbox kind of a topic rename, replaced while it waits (debounce)


@dataclass(frozen=True)
class Topic:
    case_id: int
    chat_id: int
    thread_id: int
    name: str
    closed: bool


class TopicStore:
    db: Database

    async def save_topic(self, case_id: int, chat_id: int, thread_id: int, name: str) -> None:
        """The topic Telegram created for a case (a second one for the same case replaces it)."""
        await self.db.write(
            "INSERT INTO case_topics (case_id, chat_id, thread_id, name, closed, created_at)"
            " VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (case_id) DO UPDATE SET chat_id = excluded.chat_id,"
            " thread_id = excluded.thread_id, name = excluded.name, closed = 0",
            (case_id, chat_id, thread_id, name, self.db.now()),
        )

    async def topic_of(self, case_id: int) -> Topic | None:
        row = await self.db.fetch_one("SELECT * FROM case_topics WHERE case_id = ?", (case_id,))
        return None if row is None else _topic(row)

    async def case_for_topic(self, chat_id: int, thread_id: int) -> Case | None:
        """The case whose topic this is, if any."""
        row = await self.db.fetch_one(
            "SELECT cases.* FROM case_topics JOIN cases ON cases.id = case_topics.case_id"
            " WHERE case_topics.chat_id = ? AND case_topics.thread_id = ?",
            (chat_id, thread_id),
        )
        return None if row is None else _case(row)

    async def set_topic_closed(self, case_id: int, closed: bool, outgoing: Outgoing) -> bool:
        """Queue closing or reopening a case's topic and record it, in one transaction; False (and
        nothing queued) when the topic already is so."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE case_topics SET closed = ? WHERE case_id = ? AND closed != ?",
                (int(closed), case_id, int(closed)),
            )
            if cursor.rowcount:
                await enqueue_all(db, [outgoing], self.db.now())
            return bool(cursor.rowcount)

    async def queue_topic_rename(self, case_id: int, name: str, outgoing: Outgoing | None) -> None:
        """Debounce: a rename still waiting for this case is dropped; `outgoing` (the rename to
        `name`) is queued unless the topic already bears that name."""
        async with self.db.transaction() as db:
            await db.execute(
                "DELETE FROM outbox WHERE kind = ? AND ref = ? AND status IN ('held', 'pending')",
                (RENAME, case_id),
            )
            async with db.execute("SELECT name FROM case_topics WHERE case_id = ?", (case_id,)) as cursor:
                row = await cursor.fetchone()
            if outgoing is not None and row is not None and row[0] != name:
                await enqueue_all(db, [outgoing], self.db.now())

    async def set_topic_name(self, case_id: int, name: str) -> None:
        """The name Telegram now shows (after a rename was sent)."""
        await self.db.write("UPDATE case_topics SET name = ? WHERE case_id = ?", (name, case_id))


def _topic(row) -> Topic:
    return Topic(
        case_id=row["case_id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        name=row["name"],
        closed=bool(row["closed"]),
    )
