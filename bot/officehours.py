"""Staff office hours (OFFICE_HOURS), e.g. "Mon-Fri 08:00-16:00 Asia/Jakarta": parsed once, asked
"is this moment inside?" by the reminders. No `telegram` here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT = "Mon-Fri 08:00-16:00 Asia/Jakarta"
_FORMAT = re.compile(
    r"^\s*(?P<days>[A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?(?:\s*,\s*[A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?)*)"
    r"\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})(?:\s+(?P<zone>[A-Za-z_]+/[A-Za-z_/+-]+))?\s*$"
)


@dataclass(frozen=True)
class OfficeHours:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    zone: str = "Asia/Jakarta"

    def contains(self, timestamp: float) -> bool:
        """Whether this moment is inside office hours (in the office's time zone)."""
        local = datetime.fromtimestamp(timestamp, ZoneInfo(self.zone))
        return local.weekday() in self.days and self.start <= local.time() < self.end


def parse(text: str) -> OfficeHours:
    """'Mon-Fri 08:00-16:00 Asia/Jakarta' (days as ranges or lists; the zone is optional).
    Raises ValueError with a short reason."""
    match = _FORMAT.match(text)
    if not match:
        raise ValueError(f"expected e.g. {DEFAULT!r}, got {text!r}")
    days: set[int] = set()
    for part in match["days"].lower().split(","):
        first, _, last = (p.strip() for p in part.partition("-"))
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day in {part.strip()!r} (use Mon Tue Wed Thu Fri Sat Sun)")
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    try:
        start, end = (time.fromisoformat(match[k].zfill(5)) for k in ("start", "end"))
    except ValueError:
        raise ValueError("times are HH:MM, 00:00-23:59") from None
    if start >= end:
        raise ValueError("the end time must be after the start time")
    zone = match["zone"] or "Asia/Jakarta"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r}") from None
    return OfficeHours(frozenset(days), start, end, zone)


DEFAULT_HOURS = parse(DEFAULT)
