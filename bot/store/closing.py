"""Closing the loop: ratings asked once after a case is resolved, idle cases closed with an undo."""

from __future__ import annotations

from bot.store.cases import Case, _case
from bot.store.db import Database
from bot.store.roles import scope_sql


class ClosingStore:
    db: Database

    async def ask_rating(self, case_id: int) -> bool:
        """Record that the reporter is asked to rate this case; False when they were asked before."""
        changed = await self.db.write(
            "INSERT INTO case_ratings (case_id, asked_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (case_id, self.db.now()),
        )
        return changed == 1

    async def rate(self, case_id: int, rating: int) -> bool:
        """The reporter's rating, once (False when already rated or never asked)."""
        changed = await self.db.write(
            "UPDATE case_ratings SET rating = ?, rated_at = ? WHERE case_id = ? AND rating IS NULL",
            (rating, self.db.now(), case_id),
        )
        return changed == 1

    async def ratings(self, staff_id: int | None = None) -> dict[int, int]:
        """How many cases got each rating (1-5), in `staff_id`'s scope when given."""
        scope, scoped = scope_sql(staff_id, "r.case_id") if staff_id is not None else ("1 = 1", ())
        rows = await self.db.fetch_all(
            f"SELECT rating, COUNT(*) FROM case_ratings r WHERE rating IS NOT NULL AND {scope} GROUP BY 1",
            scoped,
        )
        return {row[0]: row[1] for row in rows}

    async def idle_cases(self, idle: int, limit: int = 50) -> list[Case]:
        """Cases staff work on (in progress, referred) where nothing happened for `idle` seconds."""
        rows = await self.db.fetch_all(
            "SELECT * FROM cases WHERE status IN ('in_progress', 'referred') AND updated_at <= ?"
            " ORDER BY updated_at LIMIT ?",
            (self.db.now() - idle, limit),
        )
        return [_case(row) for row in rows]

    async def record_closure(self, case_id: int) -> None:
        await self.db.write(
            "INSERT INTO case_closures (case_id, closed_at) VALUES (?, ?) ON CONFLICT (case_id)"
            " DO UPDATE SET closed_at = excluded.closed_at, undone_at = NULL",
            (case_id, self.db.now()),
        )

    async def undo_closure(self, case_id: int) -> bool:
        """The reporter reopens an automatically closed case: True once, while it is still closed."""
        changed = await self.db.write(
            "UPDATE case_closures SET undone_at = ? WHERE case_id = ? AND undone_at IS NULL"
            " AND EXISTS (SELECT 1 FROM cases WHERE id = ? AND status = 'resolved')",
            (self.db.now(), case_id, case_id),
        )
        return changed == 1
