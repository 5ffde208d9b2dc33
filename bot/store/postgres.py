"""PostgreSQL through psycopg 3 and its connection pool, behind the same Database API as SQLite.

Why psycopg 3 and not asyncpg (measured on this machine, 3,000 round trips on a local socket):
asyncpg did 4,600-5,600 upserts/s and 6,200-6,700 point selects/s, psycopg 4,200-5,200 and
4,300-5,200, so asyncpg is 10-35% faster per trip. But a bot update costs milliseconds of Python
and Telegram, not one 0.2 ms trip; and psycopg sends each Python value with its type, where asyncpg
asks the server to infer every parameter's type: the store's SQL (written for SQLite, translated in
bot/store/dialect.py) would need casts in many statements on asyncpg and in one pattern on psycopg.

Reads run on a pooled connection in autocommit: they see committed rows only. A transaction holds
one pooled connection until it commits; `synchronous_commit = on` is set on every connection, so a
commit the user is told about is on disk on the server (and on a synchronous standby, if configured).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

try:
    import psycopg
    from psycopg.adapt import Loader
    from psycopg_pool import AsyncConnectionPool
except ImportError as error:  # pragma: no cover - depends on the install
    raise RuntimeError(
        "DATABASE_URL is a PostgreSQL URL but psycopg is not installed: "
        "pip install 'pmi-helpdesk-bot[postgresql]'"
    ) from error

from bot.store.db import Clock, Database
from bot.store.dialect import POSTGRESQL, generated_id_tables, postgres_sql
from bot.store.inbox import Turn
from bot.store.migrations import MIGRATIONS

log = logging.getLogger(__name__)

_RETURNING = generated_id_tables(MIGRATIONS)
# Connections per process: the store's pool; one per update in hand (bot/app.py MAX_WORKING is 16,
# one spare); one for the leader lock. About 30 per process: PostgreSQL's default max_connections
# (100) allows three processes; raise it for more.
POOL_SIZE = 12
TURNS_SIZE = 17
# Seconds between two looks at the live processes (their number shares Telegram's limits: a process
# that has just started must be counted before the traffic comes) and attempts to become the leader.
LEADER_RETRY = 1.0


class Row(tuple):
    """A result row read like sqlite3.Row: by position, by column name, keys(), dict(row)."""

    _index: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return tuple
    index = {column.name: i for i, column in enumerate(description)}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row._index = index
        return row

    return make


class _WholeNumeric(Loader):
    """NUMERIC results (SUM of a BIGINT) as int when whole, as SQLite gives them; else Decimal."""

    def load(self, data: Any) -> int | Decimal:
        text = bytes(data).decode()
        return int(text) if text.lstrip("-").isdigit() else Decimal(text)


async def _configure(connection: psycopg.AsyncConnection) -> None:
    connection.adapters.register_loader("numeric", _WholeNumeric)
    await connection.execute("SET synchronous_commit = on")


def _values(params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...] | Mapping[str, Any]:
    """Parameters as psycopg takes them: a dict for named ones (`:user`), else a tuple."""
    return params if isinstance(params, Mapping) else tuple(params)


class _Cursor:
    """The rows of one statement, fetched at once, with rowcount and lastrowid like sqlite3's."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows, self.rowcount, self.lastrowid = rows, rowcount, lastrowid

    async def fetchone(self) -> Any | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int) -> list[Any]:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows


class _Statement:
    """`connection.execute(...)` both awaited and used as `async with`, as with aiosqlite."""

    def __init__(self, run: Any) -> None:
        self._run = run

    def __await__(self) -> Any:
        return self._run.__await__()

    async def __aenter__(self) -> _Cursor:
        return await self._run

    async def __aexit__(self, *exc: object) -> None:
        return None


class Connection:
    """A psycopg connection speaking the store's (SQLite) SQL, as the store's transactions use it."""

    def __init__(self, connection: psycopg.AsyncConnection) -> None:
        self.raw = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Statement:
        return _Statement(self._execute(sql, params))

    async def _execute(self, sql: str, params: Sequence[Any]) -> _Cursor:
        translated = postgres_sql(sql, _RETURNING)
        cursor = await self.raw.execute(translated, _values(params))
        rows = await cursor.fetchall() if cursor.description is not None else []
        lastrowid = None
        if translated.endswith(" RETURNING id") and rows:
            lastrowid, rows = rows[-1][0], []
        return _Cursor(rows, cursor.rowcount, lastrowid)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        async with self.raw.cursor() as cursor:
            await cursor.executemany(postgres_sql(sql), [tuple(row) for row in rows])


_ALIVE = (
    "SELECT application_name FROM pg_stat_activity"
    " WHERE application_name LIKE %s AND datname = current_database()"
)
# Advisory locks are per database; the schema in the key keeps two bots in two schemas apart.
_LOCK = "SELECT {function}(hashtextextended(current_schema() || ':' || %s, 0))"


class PostgresDatabase(Database):
    dialect = POSTGRESQL
    shared = True

    def __init__(self, pool: AsyncConnectionPool, turns: AsyncConnectionPool, clock: Clock, url: str) -> None:
        super().__init__(clock)
        self._pool, self._turns, self.url = pool, turns, url

    @classmethod
    async def connect(cls, url: str, clock: Clock = time.time, *, size: int = POOL_SIZE) -> PostgresDatabase:
        def pool(name: str, max_size: int) -> AsyncConnectionPool:
            return AsyncConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                open=False,
                name=name,
                kwargs={"autocommit": True, "row_factory": _row_factory},
                configure=_configure,
                timeout=30,
            )

        store, turns = pool("store", size), pool("turns", TURNS_SIZE)
        try:
            await store.open(wait=True, timeout=15)
            await turns.open(wait=False)
            database = cls(store, turns, clock, url)
            await database.migrate()
        except BaseException:
            await store.close()
            await turns.close()
            raise
        return database

    async def close(self) -> None:
        await self._turns.close()
        await self._pool.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One transaction on one pooled connection, committed on exit (rolled back on an error)."""
        if (inside := self._inside()) is not None:
            yield inside  # nested: part of the outer transaction
            return
        async with (
            self._pool.connection() as raw,
            raw.transaction(),
            self._marked(Connection(raw)) as connection,
        ):
            yield connection

    async def _lock_migrations(self, db: Connection) -> None:
        await db.raw.execute(_LOCK.format(function="pg_advisory_xact_lock"), ("migrations",))

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        if (inside := self._inside()) is not None:
            return (await inside.execute(sql, params)).rowcount
        async with self._pool.connection() as raw:
            return (await Connection(raw).execute(sql, params)).rowcount

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        if (inside := self._inside()) is not None:
            return await (await inside.execute(sql, params)).fetchall()
        async with self._pool.connection() as raw:
            return await (await Connection(raw).execute(sql, params)).fetchall()

    async def stream(
        self, sql: str, params: Sequence[Any] = (), batch: int = 500
    ) -> AsyncIterator[list[Any]]:
        """The rows in batches through a server-side cursor (its own connection and snapshot)."""
        async with (
            self._pool.connection() as raw,
            raw.transaction(),
            raw.cursor(name="stream") as cursor,
        ):
            await cursor.execute(postgres_sql(sql), _values(params))
            while rows := await cursor.fetchmany(batch):
                yield rows

    async def backup_to(self, target: Any) -> None:
        raise RuntimeError("on PostgreSQL, back up with pg_dump (docs/operations.md)")

    @contextlib.asynccontextmanager
    async def update_turn(self, key: int | None) -> AsyncIterator[Turn]:
        """Chat `key`'s turn: a transaction on a connection of its own holding the chat's
        transaction-scoped advisory lock, so an update of the same chat in another process waits
        until this one is handled and marked. A process that dies mid-update releases the lock and
        leaves the update unmarked, for another process to take over (bot/store/inbox.py)."""
        async with self._turns.connection() as raw, raw.transaction():
            if key is not None:
                await raw.execute(_LOCK.format(function="pg_advisory_xact_lock"), (f"chat:{key}",))
            yield Turn(self, Connection(raw))

    @contextlib.asynccontextmanager
    async def leadership(self, name: str) -> AsyncIterator[asyncio.Event]:
        """Compete for `name` (a session-level advisory lock on a connection of its own) in the
        background: the event is set while this process holds it. When the holder dies its connection
        closes, the lock is released, and another process takes it over within LEADER_RETRY seconds."""
        held = asyncio.Event()
        task = asyncio.create_task(self._lead(name, held), name=f"leader:{name}")
        try:
            yield held
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _lead(self, name: str, held: asyncio.Event) -> None:
        """Also keeps `alive`: each process names its leader connection `pmi-bot <schema> <id>`, so
        the sessions on the server say which processes live (a dead one's connection is closed).
        Their number shares Telegram's limits (bot/outbox/limiter.py); an inbox update accepted by a
        process not among them is taken over (bot/store/inbox.py)."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as raw:
                    cursor = await raw.execute("SELECT 'pmi-bot ' || left(md5(current_schema()), 8)")
                    (peers,) = await cursor.fetchone()
                    me = f"{peers} {self.process_id}"
                    await raw.execute("SELECT set_config('application_name', %s, false)", (me,))
                    while True:
                        cursor = await raw.execute(_ALIVE, (f"{peers} %",))
                        self.alive = frozenset(row[0].rsplit(" ", 1)[1] for row in await cursor.fetchall())
                        if not held.is_set():
                            lock = _LOCK.format(function="pg_try_advisory_lock")
                            cursor = await raw.execute(lock, (name,))
                            if (await cursor.fetchone())[0]:
                                log.info("this process now runs %s", name)
                                held.set()
                        await asyncio.sleep(LEADER_RETRY)
            except (psycopg.Error, OSError):
                log.warning("lost the database connection that holds %s", name)
                held.clear()
                await asyncio.sleep(LEADER_RETRY)
