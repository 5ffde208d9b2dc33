"""Counts and exports for staff (/stats, `python -m bot stats`, `export`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from bot.store.db import Database
from bot.store.roles import scope_sql

_EXPORTS = {
    "reports": "SELECT reference, category, urgent, status, country, subject, lang, contact_method,"
    " contact_phone, description, assignee, created_at, updated_at FROM cases ORDER BY id",
    "registrations": "SELECT r.user_id, r.phone, r.province, r.district, r.village, w.relation,"
    " w.name AS worker_name, w.country, w.stage, w.updated_at"
    " FROM workers w JOIN registrations r ON r.user_id = w.user_id ORDER BY r.user_id, w.id",
}


class ReportingStore:
    """Counts and exports for staff."""

    db: Database

    async def export_rows(self, what: str) -> AsyncIterator[list[dict[str, Any]]]:
        """Every case (`reports`) or every registered worker with their family's registration
        (`registrations`), in batches: an export never holds the whole table in memory."""
        async for rows in self.db.stream(_EXPORTS[what]):
            yield [dict(row) for row in rows]

    async def stats_report(self, staff_id: int | None = None) -> dict[str, Any]:
        """The figures; case figures only over the cases in `staff_id`'s scope, when given."""
        now = self.db.now()
        week = 7 * 86400
        scope, scoped = scope_sql(staff_id) if staff_id is not None else ("1 = 1", ())

        async def grouped(column: str) -> dict[str, int]:
            rows = await self.db.fetch_all(
                f"SELECT COALESCE({column}, '-'), COUNT(*) FROM cases WHERE {scope}"
                " GROUP BY 1 ORDER BY 2 DESC",
                scoped,
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
                f"SELECT COUNT(*) FROM cases WHERE created_at >= ? AND {scope}", (now - week, *scoped)
            ),
            "cases_last_week": await self.db.fetch_value(
                f"SELECT COUNT(*) FROM cases WHERE created_at >= ? AND created_at < ? AND {scope}",
                (now - 2 * week, now - week, *scoped),
            ),
            "users_this_week": await self.db.fetch_value(
                "SELECT COUNT(*) FROM users WHERE first_seen >= ?", (now - week,)
            ),
            "users_last_week": await self.db.fetch_value(
                "SELECT COUNT(*) FROM users WHERE first_seen >= ? AND first_seen < ?",
                (now - 2 * week, now - week),
            ),
        }
