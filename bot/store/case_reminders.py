"""Cases nobody has taken: which are due for a reminder, and when each was last re-announced."""

from __future__ import annotations

from bot.store.cases import Case, _case
from bot.store.db import Database


class CaseReminderStore:
    db: Database

    async def cases_to_remind(self, every: int, limit: int = 20) -> list[Case]:
        """New cases nobody has taken, created (or last re-announced) `every` seconds ago or more."""
        cutoff = self.db.now() - every
        rows = await self.db.fetch_all(
            "SELECT cases.* FROM cases LEFT JOIN case_reminders r ON r.case_id = cases.id"
            " WHERE cases.status = 'new' AND cases.assignee IS NULL"
            " AND COALESCE(r.reminded_at, cases.created_at) <= ?"
            " ORDER BY cases.urgent DESC, cases.id LIMIT ?",
            (cutoff, limit),
        )
        return [_case(row) for row in rows]

    async def mark_reminded(self, case_id: int) -> None:
        await self.db.write(
            "INSERT INTO case_reminders (case_id, reminded_at) VALUES (?, ?) ON CONFLICT (case_id)"
            " DO UPDATE SET reminded_at = excluded.reminded_at, count = count + 1",
            (case_id, self.db.now()),
        )
