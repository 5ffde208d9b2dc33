"""Dates per registered worker and when their reminders fall due (issue 23). No telegram, no SQL.

A worker's date (contract end, passport expiry, permit expiry, planned departure) has reminders at
offsets in days before it (Settings.reminder_days). Each falls due at SEND_HOUR on its day in the
reader's time zone and is sent only between WAKING_HOURS there; `step` decides, from the clock, what
to send now, what to skip (an older reminder whose time passed: only the latest goes out) and when to
look again. The store claims what `step` chose (bot/store/reminders.py); bot/outbox/reminders.py sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.wizard.steps import Invalid

KINDS = ("contract", "passport", "permit", "departure")
DEFAULT_DAYS = {
    "contract": (120, 14, 7),
    "passport": (120, 14, 7),
    "permit": (120, 14, 7),
    "departure": (30, 7),
}
# How far ahead a date can plausibly be: contracts and permits run 2-3 years (renewals up to 6),
# passports 5 or 10 years, a planned departure within 2 years.
MAX_YEARS_AHEAD = {"contract": 6, "passport": 10, "permit": 6, "departure": 2}
SEND_HOUR = 9  # a reminder's local hour on its day
WAKING_HOURS = range(8, 20)  # a late one (after a restart) waits for 08:00 local; never sent at night
SNOOZE_DAYS = 7

JAKARTA_NAME = "Asia/Jakarta"
# Destinations with one time zone; a worker elsewhere (or not yet abroad) is reminded on Jakarta time.
ZONES = {
    "HK": "Asia/Hong_Kong",
    "TW": "Asia/Taipei",
    "MY": "Asia/Kuala_Lumpur",
    "SG": "Asia/Singapore",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "SA": "Asia/Riyadh",
    "MO": "Asia/Macau",
    "BN": "Asia/Brunei",
    "TH": "Asia/Bangkok",
    "KH": "Asia/Phnom_Penh",
    "MM": "Asia/Yangon",
    "LA": "Asia/Vientiane",
    "PH": "Asia/Manila",
    "AE": "Asia/Dubai",
    "QA": "Asia/Qatar",
    "KW": "Asia/Kuwait",
    "OM": "Asia/Muscat",
    "BH": "Asia/Bahrain",
    "JO": "Asia/Amman",
    "TR": "Europe/Istanbul",
    "IT": "Europe/Rome",
    "PL": "Europe/Warsaw",
    "DE": "Europe/Berlin",
    "NL": "Europe/Amsterdam",
    "GB": "Europe/London",
}
_MONTHS = {
    **{
        name: i
        for i, name in enumerate(
            ("jan", "feb", "mar", "apr", "mei", "jun", "jul", "agu", "sep", "okt", "nov", "des"), 1
        )
    },
    **{
        name: i
        for i, name in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
        )
    },
    "ags": 8,
    "agt": 8,
    "nop": 11,
    "pebruari": 2,
    "peb": 2,
}


def zone(name: str) -> datetime.tzinfo:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # a machine without a time zone database: Jakarta has no DST
        return timezone(timedelta(hours=7), "WIB")


def zone_for(country: str, stage: str, relation: str) -> str:
    """The reader's time zone: the destination's when the reader is the worker, abroad now; else
    Jakarta (a family member at home, or a worker who has not left)."""
    if relation == "self" and stage == "abroad":
        return ZONES.get(country, JAKARTA_NAME)
    return JAKARTA_NAME


def local_today(now: float, zone_name: str = JAKARTA_NAME) -> date:
    return datetime.fromtimestamp(now, zone(zone_name)).date()


def parse_day(text: str, kind: str, today: date) -> date:
    """A typed date (see `read_day`), not before `today` and not implausibly far ahead for its kind;
    raises Invalid(content key)."""
    value = date.fromisoformat(read_day(text))
    check_day(value, kind, today)
    return value


def check_day(value: date, kind: str, today: date) -> None:
    if value < today:
        raise Invalid("user-dates-invalid-past")
    if value > today.replace(year=today.year + MAX_YEARS_AHEAD[kind], day=min(today.day, 28)):
        raise Invalid("user-dates-invalid-far", years=MAX_YEARS_AHEAD[kind])


def read_day(text: str) -> str:
    """A typed date as YYYY-MM-DD: 12-03-2027, 12/3/27, 2027-03-12, 12 Maret 2027, 12 March 2027;
    raises Invalid(content key)."""
    text = " ".join(text.casefold().replace(",", " ").split())
    numeric = re.fullmatch(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{2}|\d{4})", text)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    named = re.fullmatch(r"(\d{1,2})[ -]?([a-z]{3,9})\.?[ -]?(\d{2}|\d{4})", text)
    if iso:
        year, month, day = (int(x) for x in iso.groups())
    elif numeric:
        day, month, year = (int(x) for x in numeric.groups())
    elif named and (named.group(2)[:3] in _MONTHS or named.group(2) in _MONTHS):
        day, year = int(named.group(1)), int(named.group(3))
        month = _MONTHS.get(named.group(2), _MONTHS.get(named.group(2)[:3]))
    else:
        raise Invalid("user-dates-invalid-format")
    year += 2000 if year < 100 else 0
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise Invalid("user-dates-invalid-format") from None


def due_at(day: date, days: int, zone_name: str) -> int:
    """When the reminder `days` before `day` falls due: SEND_HOUR local on its day (unix seconds)."""
    moment = datetime.combine(day - timedelta(days=days), time(SEND_HOUR), zone(zone_name))
    return int(moment.timestamp())


def next_waking(now: float, zone_name: str) -> int:
    """`now` if it is waking hours in the zone, else the next 08:00 there."""
    local = datetime.fromtimestamp(now, zone(zone_name))
    if local.hour in WAKING_HOURS:
        return int(now)
    day = local.date() + timedelta(days=1 if local.hour >= WAKING_HOURS.stop else 0)
    return int(datetime.combine(day, time(WAKING_HOURS.start), zone(zone_name)).timestamp())


@dataclass(frozen=True)
class Step:
    """What to do with one date now: send (days, round) or nothing; claim `skip` offsets as passed
    unsent; look again at `next_at` for offset `next_days` (None: no reminder left)."""

    send: tuple[int, int] | None
    skip: tuple[int, ...]
    next_days: int | None
    next_at: int | None
    round: int = 0


def step(
    day: date,
    offsets: tuple[int, ...],
    zone_name: str,
    now: float,
    *,
    pending: int | None = None,
    round: int = 0,
    at_once: bool = False,
) -> Step:
    """The reminders of `day` at `now`. `pending` is the offset waited for (None: none sent yet) and
    `round` how often it was snoozed. Of the offsets whose time has passed only the latest (smallest)
    is sent; `at_once` (the date was just entered) sends it whatever the hour."""
    offsets = tuple(sorted(set(offsets), reverse=True))
    pending = offsets[0] if pending is None and offsets else pending
    future = [d for d in offsets if due_at(day, d, zone_name) > now]
    upcoming = Step(None, (), None, None)
    if future:
        upcoming = Step(None, (), max(future), due_at(day, max(future), zone_name))
    if local_today(now, zone_name) > day or pending is None:
        return upcoming  # the date itself has passed: nothing left to remind
    passed = [d for d in offsets if d <= pending and due_at(day, d, zone_name) <= now]
    snooze_due = round > 0 and (not passed or min(passed) == pending)
    if not passed and not snooze_due:
        return Step(None, (), pending, due_at(day, pending, zone_name), round)
    if not at_once and next_waking(now, zone_name) > now:  # night there: wait for the morning
        return Step(None, (), pending, next_waking(now, zone_name), round)
    if snooze_due:
        return replace_send(upcoming, (pending, round), ())
    latest = min(passed)
    return replace_send(upcoming, (latest, 0), tuple(d for d in passed if d != latest))


def replace_send(upcoming: Step, send: tuple[int, int], skip: tuple[int, ...]) -> Step:
    return Step(send, skip, upcoming.next_days, upcoming.next_at)


def snooze(day: date, offsets: tuple[int, ...], zone_name: str, now: float, days: int, round: int) -> Step:
    """Snoozed: the reminder `days` before `day` again in SNOOZE_DAYS at SEND_HOUR (at the latest on
    the day itself), unless the next offset comes first."""
    later = min(local_today(now, zone_name) + timedelta(days=SNOOZE_DAYS), day)
    again = int(datetime.combine(later, time(SEND_HOUR), zone(zone_name)).timestamp())
    sooner = [d for d in offsets if d < days and now < due_at(day, d, zone_name) <= again]
    if sooner:
        return Step(None, (), max(sooner), due_at(day, max(sooner), zone_name))
    return Step(None, (), days, again, round + 1)
