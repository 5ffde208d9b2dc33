"""What people asked: answer feedback, and questions the bot could not answer (no identity kept)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.db import Database


@dataclass(frozen=True)
class Unanswered:
    question: str
    lang: str
    count: int
    last_at: int


class QuestionStore:
    db: Database

    async def record_feedback(self, user_id: int, entry_id: str, lang: str, helpful: bool) -> None:
        await self.db.write(
            "INSERT INTO feedback (user_id, entry_id, lang, helpful, created_at) VALUES (?, ?, ?, ?, ?)",
            (user_id, entry_id, lang, int(helpful), self.db.now()),
        )

    async def feedback_counts(self) -> dict[str, tuple[int, int]]:
        """Per entry: (helpful, not helpful)."""
        rows = await self.db.fetch_all(
            "SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM feedback GROUP BY entry_id"
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def record_unanswered(self, question: str, lang: str) -> None:
        """Count a question (already normalised and redacted: it carries no identity)."""
        if not question:
            return
        now = self.db.now()
        await self.db.write(
            "INSERT INTO unanswered (question, lang, count, first_at, last_at) VALUES (?, ?, 1, ?, ?)"
            " ON CONFLICT (question, lang) DO UPDATE SET count = unanswered.count + 1,"
            " last_at = excluded.last_at",
            (question[:500], lang, now, now),
        )

    async def top_unanswered(self, since: int = 0, limit: int = 50) -> list[Unanswered]:
        rows = await self.db.fetch_all(
            "SELECT question, lang, count, last_at FROM unanswered WHERE last_at >= ?"
            " ORDER BY count DESC, last_at DESC LIMIT ?",
            (since, limit),
        )
        return [Unanswered(*row) for row in rows]

    async def purge_unanswered(self, older_than: int) -> int:
        async with self.db.transaction() as db:
            cursor = await db.execute("DELETE FROM unanswered WHERE last_at < ?", (older_than,))
        return cursor.rowcount
