"""Response times for /stats: first response and resolution of each case, from its timestamped events
(a staff action: take, status, a message to the reporter), as median and p90 per week and category."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bot.store.db import Database
from bot.store.roles import scope_sql

RESPONSE_TARGET = 24 * 3600  # seconds to a first response; slower (or still waiting) is over target
WEEKS = 8
_JAKARTA = timezone(timedelta(hours=7))


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share 0.5 = median), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _summary(responses: list[float], resolutions: list[float]) -> dict[str, Any]:
    hours = [r / 3600 for r in responses]
    days = [r / 86400 for r in resolutions]
    return {
        "cases": len(responses),
        "response_median_h": percentile(hours, 0.5),
        "response_p90_h": percentile(hours, 0.9),
        "resolved": len(days),
        "resolution_median_d": percentile(days, 0.5),
        "resolution_p90_d": percentile(days, 0.9),
    }


class TimesStore:
    db: Database

    async def response_report(self, staff_id: int | None = None) -> dict[str, Any]:
        """Per week (Monday, Jakarta time) and per category over the last WEEKS weeks, in the scope of
        `staff_id` when given; plus the references of cases over the response target."""
        now = self.db.now()
        scope, scoped = scope_sql(staff_id) if staff_id is not None else ("1 = 1", ())
        rows = await self.db.fetch_all(
            "SELECT cases.reference, cases.category, cases.created_at,"
            " (SELECT MIN(e.created_at) FROM case_events e WHERE e.case_id = cases.id"
            "  AND e.kind IN ('assign', 'status', 'message_out')) AS responded,"
            " (SELECT MIN(e.created_at) FROM case_events e WHERE e.case_id = cases.id"
            "  AND e.new_status = 'resolved') AS resolved"
            f" FROM cases WHERE cases.created_at >= ? AND {scope} ORDER BY cases.created_at",
            (now - WEEKS * 7 * 86400, *scoped),
        )
        weeks: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
        categories: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
        over = []
        for reference, category, created, responded, resolved in rows:
            local = datetime.fromtimestamp(created, UTC).astimezone(_JAKARTA)
            week = (local - timedelta(days=local.weekday())).strftime("%d-%m-%Y")
            waited = (responded or now) - created
            if waited > RESPONSE_TARGET:
                over.append(reference)
            for bucket in (weeks[week], categories[category]):
                if responded:
                    bucket[0].append(responded - created)
                if resolved:
                    bucket[1].append(resolved - created)
        return {
            "weeks": {week: _summary(*lists) for week, lists in weeks.items()},
            "categories": {category: _summary(*lists) for category, lists in categories.items()},
            "over_target": over,
            "target_hours": RESPONSE_TARGET // 3600,
        }
