"""Store at scale: 100,000 users, 20,000 registrations, 50,000 cases; the main queries, timed, with plans.

Fills a temporary database through the real store (`Store.open` runs the migrations; the bulk rows go
in with executemany inside `store.db.transaction()`, the store having no bulk method). Then each query
runs through the store's own method (median and worst of --repeat runs) and SQLite's EXPLAIN QUERY
PLAN is printed for the exact SQL that method ran (captured, not copied). Last, the peak RSS of the
real `python -m bot run` process opened on that database, after a user's /start and /status and after
a staff member's /cases, /stats and /export. And the first retention purge two years on.

    python bench/store.py [--users 100000] [--registrations 20000] [--cases 50000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _proc import peak_rss_mb

from bot import export
from bot.emulator import Emulator, EmulatorServer
from bot.local import BotProcess
from bot.retention import OUTBOX_KEEP_DAYS
from bot.store import Store
from bot.store.cases import URGENT_CATEGORIES, new_reference

DAY = 86400
STAFF = tuple(range(9001, 9009))  # eight staff members; 9001 asks for "mine"
STAFF_GROUP = -1001234567890
TARGET_MS = 50.0
BIG_TABLES = ("users", "registrations", "workers", "cases", "case_events", "outbox")
# Realistic spreads: weights, roughly after the BP2MI placement and complaint statistics.
COUNTRIES = {
    "HK": 25,
    "TW": 25,
    "MY": 20,
    "SG": 6,
    "SA": 5,
    "KR": 5,
    "JP": 5,
    "BN": 2,
    "AE": 2,
    "IT": 1,
    "PL": 1,
}
PROVINCES = {
    "jawa-timur": 30,
    "jawa-tengah": 25,
    "jawa-barat": 18,
    "ntb": 10,
    "lampung": 5,
    "ntt": 4,
    "banten": 3,
    "sumatera-utara": 3,
    "bali": 1,
    "dki-jakarta": 1,
}
STAGES = {"abroad": 60, "preparing": 25, "returned": 15}
RELATIONS = {"self": 20, "spouse": 25, "parent": 15, "child": 30, "sibling": 8, "other": 2}
CATEGORIES = {
    "unpaid_wages": 20,
    "documents_held": 12,
    "lost_contact": 10,
    "not_as_promised": 10,
    "go_home": 10,
    "question": 10,
    "overcharged": 8,
    "sick_accident": 8,
    "abuse": 5,
    "other": 5,
    "trafficking": 2,
}


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


@dataclass(frozen=True)
class Filled:
    """What the fill made that the queries need."""

    now: int
    heavy_user: int  # the user with the most cases
    typical_user: int
    reference: str
    reference_owner: int
    registered_user: int


async def fill(store: Store, users: int, registrations: int, cases: int, seed: int) -> Filled:
    """Bulk rows with realistic spreads of languages, places, countries, stages, categories, dates."""
    rng, now = random.Random(seed), int(time.time())
    ids = [10_000_000 + n * 7 for n in range(users)]
    user_rows = []
    for user_id in ids:
        first = now - rng.randrange(730 * DAY)
        last = min(now, first + rng.randrange(400 * DAY))
        row = (
            user_id,
            f"U{user_id}",
            rng.choices(["id", "en", "ms", "zh-hans", None], [75, 8, 4, 3, 10])[0],
            rng.choices([None, "id", "en"], [85, 10, 5])[0],
            first,
            last,
            int(rng.random() < 0.04),
        )
        user_rows.append((*row, int(rng.random() < 0.02)))
    registered = rng.sample(ids, registrations)
    async with store.db.transaction() as db:
        await db.executemany(
            "INSERT INTO users (id, first_name, telegram_language, language, first_seen, last_seen,"
            " blocked, opted_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            user_rows,
        )
        await db.executemany(
            "INSERT INTO registrations (user_id, phone, province, district, village, consent_at,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (u, f"+62812{rng.randrange(10**7):07d}", pick(rng, PROVINCES), f"kab-{rng.randrange(40)}",
                 f"desa-{rng.randrange(400)}", now, now - rng.randrange(365 * DAY), now)
                for u in registered
            ],
        )  # fmt: skip
        worker_rows = []
        for u in registered:
            for k in range(rng.choices([1, 2, 3], [75, 20, 5])[0]):
                name = f"Pekerja {u} {k}"
                worker_rows.append(
                    (u, pick(rng, RELATIONS), name, name.casefold(), pick(rng, COUNTRIES), pick(rng, STAGES),
                     now - rng.randrange(365 * DAY), now)
                )  # fmt: skip
        await db.executemany(
            "INSERT INTO workers (user_id, relation, name, name_key, country, stage, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            worker_rows,
        )
    # Reporters: mostly registered families, a few users with many cases (a skewed, realistic spread).
    reporters = registered + rng.sample(ids, users // 10)
    heavy = registered[0]
    case_rows, event_rows, card_rows, references = [], [], [], set()
    for case_id in range(1, cases + 1):
        user_id = heavy if case_id % 1000 == 0 else rng.choice(reporters)
        category = pick(rng, CATEGORIES)
        created = now - rng.randrange(730 * DAY)
        age_days = (now - created) / DAY
        if age_days > 60:
            status = rng.choices(["resolved", "referred", "in_progress"], [96, 2, 2])[0]
        else:
            status = rng.choices(["new", "in_progress", "referred", "resolved"], [25, 40, 10, 25])[0]
        updated = min(now, created + rng.randrange(30 * DAY))
        reference = new_reference()
        while reference in references:
            reference = new_reference()
        references.add(reference)
        case_rows.append(
            (case_id, reference, user_id, category, int(category in URGENT_CATEGORIES),
             rng.choice(["me", "family"]), pick(rng, COUNTRIES), "Majikan belum membayar gaji tiga bulan.",
             rng.choices(["telegram", "phone"], [80, 20])[0], rng.choices(["id", "en"], [92, 8])[0],
             status, None if status == "new" else rng.choice(STAFF), created, updated)
        )  # fmt: skip
        event_rows.append((case_id, "created", user_id, None, "new", created))
        if status != "new":
            event_rows.append((case_id, "status", rng.choice(STAFF), "new", status, updated))
        card_rows.append((STAFF_GROUP, "sendMessage", "{}", "case_card", case_id, "sent", created, created))
    async with store.db.transaction() as db:
        await db.executemany(
            "INSERT INTO cases (id, reference, user_id, category, urgent, subject, country, description,"
            " contact_method, lang, status, assignee, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            case_rows,
        )
        await db.executemany(
            "INSERT INTO case_events (case_id, kind, actor, old_status, new_status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            event_rows,
        )
        await db.executemany(
            "INSERT INTO outbox (priority, chat_id, method, payload, kind, ref, status, created_at,"
            " updated_at) VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?)",
            card_rows,
        )
    some = case_rows[len(case_rows) // 2]
    return Filled(now, heavy, rng.choice(reporters), some[1], some[2], registered[1])


@dataclass(frozen=True)
class Timing:
    """One query: its times (ms), result size, and the plan of each SQL statement it ran."""

    name: str
    hot: bool
    times: list[float]
    size: int
    plans: list[tuple[str, list[str]]]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def full_scans(self) -> list[str]:
        """Plan lines that read a whole big table (or the whole of one of its indexes). Not counted:
        a count of every row (no plan avoids reading them all), and a walk in index order that
        LIMIT stops (no sort in the plan): it reads only the rows it returns."""
        return [
            line
            for sql, lines in self.plans
            if not _counts_everything(sql) and not _ordered_walk(sql, lines)
            for line in lines
            if line.startswith("SCAN ") and line.split()[1] in (*BIG_TABLES, "u", "w", "r")
        ]


def _counts_everything(sql: str) -> bool:
    return re.fullmatch(r"SELECT COUNT\(\*\) FROM \w+( WHERE 1 = 1)?", " ".join(sql.split())) is not None


def _ordered_walk(sql: str, lines: list[str]) -> bool:
    return " LIMIT " in sql and " USING " in lines[0] and not any("TEMP B-TREE" in line for line in lines)


class Recorder:
    """Captures the SQL (and parameters) a store method runs, for EXPLAIN QUERY PLAN."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.statements: list[tuple[str, tuple]] = []

    async def run(self, call: Callable[[], Awaitable[Any]]) -> Any:
        db = self.store.db
        originals = db.fetch_all, db.fetch_one, db.stream

        def wrap(method):
            async def recorded(sql: str, params=()):
                self.statements.append((sql, tuple(params)))
                return await method(sql, params)

            return recorded

        def wrap_stream(sql: str, params=(), batch: int = 500):
            self.statements.append((sql, tuple(params)))
            return originals[2](sql, params, batch)

        db.fetch_all, db.fetch_one, db.stream = wrap(originals[0]), wrap(originals[1]), wrap_stream
        try:
            return await call()
        finally:
            del db.fetch_all, db.fetch_one, db.stream  # back to the class's methods

    async def plans(self) -> list[tuple[str, list[str]]]:
        found = []
        for sql, params in self.statements:
            rows = await self.store.db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)
            found.append((sql, [row[3] for row in rows]))
        return found


async def time_query(
    store: Store, name: str, call: Callable[[], Awaitable[Any]], repeat: int, hot: bool
) -> Timing:
    recorder = Recorder(store)
    result = await recorder.run(call)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return Timing(name, hot, times, size_of(result), await recorder.plans())


def size_of(result: Any) -> int:
    """A count as is; else how many rows (cases of a page, items of a list); one for one object."""
    if isinstance(result, int):
        return result
    if hasattr(result, "cases"):
        return len(result.cases)
    return len(result) if isinstance(result, list | dict) else int(result is not None)


def queries(store: Store, filled: Filled) -> list[tuple[str, Callable, bool]]:
    def count(audience: dict) -> Awaitable[int]:
        return store.count_audience(audience, "id")

    mine = STAFF[0]
    listed = [
        ("segment: everyone", lambda: count({}), True),
        ("segment: users, language id", lambda: count({"lang": "id"}), True),
        ("segment: users, language en", lambda: count({"lang": "en"}), True),
        ("segment: province jawa-timur", lambda: count({"province": "jawa-timur"}), True),
        ("segment: registered families", lambda: count({"registered": "yes"}), True),
        ("segment: workers HK, abroad", lambda: count({"country": "HK", "stage": "abroad"}), True),
        (
            "segment: TW, abroad, jawa-timur",
            lambda: count({"country": "TW", "stage": "abroad", "province": "jawa-timur"}),
            True,
        ),
        ("list_cases open, page 1", lambda: store.list_cases("open", mine), True),
        ("list_cases open, page 20", lambda: store.list_cases("open", mine, 190), True),
        ("list_cases urgent, page 1", lambda: store.list_cases("urgent", mine), True),
        ("list_cases mine, page 1", lambda: store.list_cases("mine", mine), True),
        ("list_cases all, page 1", lambda: store.list_cases("all", mine), True),
        ("cases_of (50+ cases)", lambda: store.cases_of(filled.heavy_user), True),
        ("cases_of (typical)", lambda: store.cases_of(filled.typical_user), True),
        ("case_by_reference", lambda: store.case_by_reference(filled.reference), True),
        (
            "case_by_reference, owner",
            lambda: store.case_by_reference(filled.reference, user_id=filled.reference_owner),
            True,
        ),
        ("user_language (every update)", lambda: store.user_language(filled.typical_user), True),
        ("registration (/mydata)", lambda: store.registration(filled.registered_user), True),
        ("stats_report (/stats)", store.stats_report, False),
        ("cases_without_card (start-up)", lambda: store.cases_without_card(filled.now - 2 * DAY), True),
        ("export: reports CSV", lambda: export.write(store, "reports", io.BytesIO()), False),
        ("export: registrations CSV", lambda: export.write(store, "registrations", io.BytesIO()), False),
    ]
    return listed


def print_timing(timing: Timing) -> None:
    over = timing.hot and timing.median > TARGET_MS
    scans = timing.full_scans
    verdict = ("OVER 50 ms" if over else "ok") if timing.hot else "no target"
    if timing.hot and scans:
        verdict += "; FULL SCAN"
    print(f"{timing.name:<34}{timing.median:>9.1f}{max(timing.times):>9.1f}{timing.size:>8}   {verdict}")
    for sql, lines in timing.plans:
        print(f"    sql: {' '.join(sql.split())[:150]}")
        for line in lines:
            print(f"      {line}")


async def bot_rss(database: Path, filled: Filled) -> tuple[float, ...]:
    """Peak RSS (MB) of the real bot on this database: started, after a user's /start and /status,
    after staff /cases and /stats, after staff /export (both CSV files received)."""
    emulator = Emulator(flood=None)
    emulator.settle = (60.0, 0.3)
    async with EmulatorServer(emulator) as server:
        staff = emulator.user(id=STAFF[0], first_name="Staf")
        emulator.group(id=STAFF_GROUP, title="Staf PMI", members=[staff], admins=[staff])
        env = {
            "DATABASE_PATH": str(database),
            "LOG_LEVEL": "WARNING",
            "STAFF_IDS": ",".join(map(str, STAFF)),
            "STAFF_CHAT_ID": str(STAFF_GROUP),
        }
        bot = await BotProcess(server.url, env).start()
        try:
            await emulator.wait_polling(timeout=60)
            pid = bot.process.pid
            started = peak_rss_mb(pid)
            user = emulator.user(id=filled.heavy_user, first_name="Sri")
            await user.send("/start")
            await user.send("/status")
            after_user = peak_rss_mb(pid)
            await staff.send("/cases")
            await staff.send("/stats")
            after_lists = peak_rss_mb(pid)
            await staff.send("/export")
            deadline = time.monotonic() + 120
            while sum(m.kind == "document" for m in staff.messages) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            after_staff = peak_rss_mb(pid)
        finally:
            code = await bot.end()
    if code != 0 or emulator.errors:
        print(f"bot exit code {code}, API errors {emulator.errors[:3]}\n{bot.log[-2000:]}")
    return started, after_user, after_lists, after_staff


async def measure(
    store: Store, users: int, registrations: int, cases: int, repeat: int, seed: int
) -> tuple[list[Timing], Filled]:
    """Fill, then time every query and print its plans."""
    started = time.perf_counter()
    filled = await fill(store, users, registrations, cases, seed)
    fill_seconds = time.perf_counter() - started
    counts = {t: await store.db.fetch_value(f"SELECT COUNT(*) FROM {t}") for t in BIG_TABLES}
    print(f"filled in {fill_seconds:.1f} s: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    listed = queries(store, filled)
    print(f"{'query':<34}{'med ms':>9}{'max ms':>9}{'rows':>8}   (median/worst of {repeat})")
    timings = [await time_query(store, name, call, repeat, hot) for name, call, hot in listed]
    for timing in timings:
        print_timing(timing)
    reachable = await store.db.fetch_value("SELECT COUNT(*) FROM users WHERE blocked = 0 AND opted_out = 0")
    print(
        f"note: users that are neither blocked nor opted out: {reachable / counts['users']:.0%}, so the"
        " 'everyone' and default-language segments read that many index entries whatever the plan"
    )
    return timings, filled


async def purge_later(database: Path, filled: Filled) -> str:
    """The first retention purge 731 days on, when every resolved case of the fill is past
    DATA_RETENTION_DAYS: its time, and the longest single write (the bot's own writes wait that long)."""
    later = filled.now + 731 * DAY
    store = await Store.open(database, clock=lambda: later)
    writes: list[float] = []
    transaction, write = store.db.transaction, store.db.write

    @contextlib.asynccontextmanager
    async def timed_transaction():
        started = time.perf_counter()
        async with transaction() as db:
            yield db
        writes.append(time.perf_counter() - started)

    async def timed_write(sql: str, params=()):
        started = time.perf_counter()
        try:
            return await write(sql, params)
        finally:
            writes.append(time.perf_counter() - started)

    store.db.transaction, store.db.write = timed_transaction, timed_write
    try:
        started = time.perf_counter()
        cases = await store.db.fetch_value("SELECT COUNT(*) FROM cases WHERE status = 'resolved'")
        await store.purge_cases(resolved_before=later - 730 * DAY)
        case_seconds = time.perf_counter() - started
        outbox = await store.purge_outbox(older_than=later - OUTBOX_KEEP_DAYS * DAY)
        total = time.perf_counter() - started
        again = time.perf_counter()
        await store.purge_cases(resolved_before=later - 730 * DAY)
        await store.purge_outbox(older_than=later - OUTBOX_KEEP_DAYS * DAY)
        idle_ms = (time.perf_counter() - again) * 1000
    finally:
        await store.close()
    return (
        f"retention purge 731 days on: {cases} resolved cases erased in {case_seconds:.1f} s, {outbox} outbox"
        f" rows deleted, {total:.1f} s in all; longest single write {max(writes) * 1000:.0f} ms"
        f" ({len(writes)} writes); the next hourly purge with nothing to do: {idle_ms:.1f} ms"
    )


async def acknowledged_commits(folder: Path, count: int = 300) -> str:
    """Issue 20: what synchronous=FULL (the commit is on disk before the user is told) costs against
    NORMAL (the last commits can roll back on a power cut), side by side on the same disk: the time of
    the transaction that turns a question draft into a case, the write a user is told is saved."""
    from bot.store.cases import write_question
    from bot.store.db import SqliteDatabase

    figures = []
    for mode in ("NORMAL", "FULL"):
        store = Store(await SqliteDatabase.connect(folder / f"durable-{mode}.sqlite3", synchronous=mode))
        times = []
        try:
            await store.touch_user(1, "U", "id")
            for _ in range(count):
                draft = await store.start_draft(1, 1, "ask", "question", {"question": "Gaji belum dibayar"})
                started = time.perf_counter()
                await store.complete_draft(draft, write_question)
                times.append((time.perf_counter() - started) * 1000)
        finally:
            await store.close()
        times.sort()
        p95 = times[int(0.95 * count)]
        figures.append(f"{mode} median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms")
    return f"acknowledged commit ({count} cases): " + "; ".join(figures)


async def main(users: int, registrations: int, cases: int, repeat: int, seed: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        print(await acknowledged_commits(Path(folder)))
        database = Path(folder) / "store.sqlite3"
        store = await Store.open(database)
        try:
            timings, filled = await measure(store, users, registrations, cases, repeat, seed)
        finally:
            await store.close()  # its worker thread would otherwise keep the process alive
        size_mb = database.stat().st_size / 2**20
        rss = await bot_rss(database, filled)
        purged = await purge_later(database, filled)
    slow = [t.name for t in timings if t.hot and t.median > TARGET_MS]
    scanning = [t.name for t in timings if t.hot and t.full_scans]
    print(f"database file: {size_mb:.0f} MB")
    print(
        f"bot peak RSS (VmHWM): {rss[0]:.0f} MB started, {rss[1]:.0f} MB after /start + /status, "
        f"{rss[2]:.0f} MB after staff /cases + /stats, {rss[3]:.0f} MB after /export"
    )
    print(purged)
    print(f"hot queries over {TARGET_MS:.0f} ms: {', '.join(slow) or 'none'}")
    print(f"hot queries with a full scan: {', '.join(scanning) or 'none'}")
    print(f"RSS <= 150 MB: {'met' if max(rss) <= 150 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--registrations", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--durability", action="store_true", help="only the commit cost of synchronous=FULL")
    args = parser.parse_args()
    if args.durability:
        with tempfile.TemporaryDirectory() as folder:
            print(asyncio.run(acknowledged_commits(Path(folder))))
        sys.exit(0)
    sys.exit(asyncio.run(main(args.users, args.registrations, args.cases, args.repeat, args.seed)))
