"""The database behind the store: SQLite (the default) or PostgreSQL, one API for both.

`bot.store.open_database(target)` opens SQLite at a path, or PostgreSQL for a `postgresql://` URL
(bot/store/postgres.py). The store writes SQLite's SQL; bot/store/dialect.py rewrites it for
PostgreSQL. Every write of a transaction goes through `transaction()`; a read outside a transaction
only ever sees committed rows, and a read inside one sees that transaction's own writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.dialect import SQLITE, migration_text, split_statements
from bot.store.inbox import Turn
from bot.store.migrations import MIGRATIONS

log = logging.getLogger(__name__)

Clock = Callable[[], float]

# The transaction the running task is inside, if any: (database, connection). Reads made inside it
# go to its connection, so a store method sees what it has just written.
_TRANSACTION: ContextVar[tuple[Database, Any] | None] = ContextVar("transaction", default=None)


def is_postgres_url(target: object) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def create_private_file(path: Path) -> None:
    """Create `path` (and its folders) readable by its owner only, if it does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class Database:
    """What every store module uses: transactions, single writes, reads, migrations, the clock."""

    dialect = SQLITE
    shared = False  # whether other processes may use the same database (PostgreSQL)

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        # Names this process in the webhook inbox: an update accepted by a process no longer alive
        # is taken over. On PostgreSQL `alive` is refreshed from the server's sessions.
        self.process_id = secrets.token_hex(8)
        self.alive: frozenset[str] = frozenset({self.process_id})

    @property
    def processes(self) -> int:
        """Bot processes on this database now, this one included."""
        return max(1, len(self.alive))

    def now(self) -> int:
        return int(self.clock())

    def _inside(self) -> Any | None:
        """The connection of the transaction the running task is inside, on this database."""
        current = _TRANSACTION.get()
        return current[1] if current is not None and current[0] is self else None

    @contextlib.asynccontextmanager
    async def _marked(self, connection: Any) -> AsyncIterator[Any]:
        token = _TRANSACTION.set((self, connection))
        try:
            yield connection
        finally:
            _TRANSACTION.reset(token)

    async def close(self) -> None:
        raise NotImplementedError

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Any]:
        raise NotImplementedError

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        raise NotImplementedError

    def stream(self, sql: str, params: Sequence[Any] = (), batch: int = 500) -> AsyncIterator[list[Any]]:
        raise NotImplementedError

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Any | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def _lock_migrations(self, db: Any) -> None:
        """Keep two processes starting at once from applying the same migration (SQLite: BEGIN
        IMMEDIATE already does)."""

    async def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded in schema_migrations, in order, each in one
        transaction that also records it (the same table on both engines)."""
        await self.write(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"
            if self.dialect == SQLITE
            else "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)"
        )
        done = {row[0] for row in await self.fetch_all("SELECT name FROM schema_migrations")}
        applied = []
        for name, migration in MIGRATIONS:
            if name in done:
                continue
            async with self.transaction() as db:
                await self._lock_migrations(db)
                async with db.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)) as cursor:
                    if await cursor.fetchone() is not None:
                        continue  # another process applied it meanwhile
                for statement in split_statements(migration_text(migration, self.dialect)):
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, self.now())
                )
            log.info("applied migration %s", name)
            applied.append(name)
        return applied

    async def backup_to(self, target: Path) -> None:
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def update_turn(self, key: int | None) -> AsyncIterator[Turn]:
        """Webhook mode: the turn of chat `key` to handle its accepted updates (bot/store/inbox.py).
        One process on SQLite: the processor already runs one chat's updates one at a time."""
        yield Turn(self)

    @contextlib.asynccontextmanager
    async def leadership(self, name: str) -> AsyncIterator[asyncio.Event]:
        """An event set while this process is the one that runs `name` (the broadcaster, the purge).
        One process on SQLite: always."""
        held = asyncio.Event()
        held.set()
        yield held


class SqliteDatabase(Database):
    """SQLite through aiosqlite: one writer connection, one read-only reader.

    Writes are serialised in-process (BEGIN IMMEDIATE under a lock) and committed with
    synchronous=FULL: a commit is on disk before the user is told it is saved (issue 20; the cost is
    measured in bench/store.py). Reads use their own connection, so in WAL mode they see the last
    committed state and never a transaction still being written. An in-memory database has no
    second connection: its reads wait for the writer's open transaction to end."""

    def __init__(
        self,
        connection: aiosqlite.Connection,
        clock: Clock,
        path: str = ":memory:",
        reader: aiosqlite.Connection | None = None,
    ) -> None:
        super().__init__(clock)
        self._db = connection
        self._reader = reader
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def connect(
        cls, path: Path | str, clock: Clock = time.time, *, synchronous: str = "FULL"
    ) -> SqliteDatabase:
        memory = str(path) == ":memory:"
        if not memory:
            create_private_file(Path(path))
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        reader = None
        try:
            connection.row_factory = aiosqlite.Row
            for pragma in (
                "journal_mode = WAL",
                "foreign_keys = ON",
                f"synchronous = {synchronous}",
                "busy_timeout = 5000",
            ):
                await connection.execute(f"PRAGMA {pragma}")
            database = cls(connection, clock, str(path))
            await database.migrate()
            if not memory:
                reader = await aiosqlite.connect(str(path), isolation_level=None)
                reader.row_factory = aiosqlite.Row
                for pragma in ("query_only = ON", "busy_timeout = 5000"):
                    await reader.execute(f"PRAGMA {pragma}")
                database._reader = reader
        except BaseException:
            for opened in (connection, reader):  # a worker thread would otherwise keep the process alive
                if opened is not None:
                    await opened.close()
            raise
        return database

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
        await self._db.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time (BEGIN IMMEDIATE under a lock), committed on exit."""
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                async with self._marked(self._db):
                    yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement as its own transaction (autocommit), in one trip to the database thread;
        returns how many rows it changed. The lock keeps it out of another coroutine's transaction."""
        async with self._write_lock:
            cursor = await self._db.execute(sql, params)
            return cursor.rowcount

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[aiosqlite.Connection]:
        if (inside := self._inside()) is not None:
            yield inside
        elif self._reader is not None:
            yield self._reader
        else:
            async with self._write_lock:  # in memory: wait for an open transaction to end
                yield self._db

    async def stream(
        self, sql: str, params: Sequence[Any] = (), batch: int = 500
    ) -> AsyncIterator[list[aiosqlite.Row]]:
        """The rows in batches, for results too big to hold at once (writes may run in between).

        A file database streams on a connection of its own: a statement left open between batches
        holds its connection's read snapshot, and the shared reader must never serve stale rows."""
        if self._inside() is not None or self._reader is None:
            async with (self._inside() or self._db).execute(sql, params) as cursor:
                while rows := await cursor.fetchmany(batch):
                    yield list(rows)
            return
        async with aiosqlite.connect(self.path, isolation_level=None) as own:
            own.row_factory = aiosqlite.Row
            await own.execute("PRAGMA query_only = ON")
            async with own.execute(sql, params) as cursor:
                while rows := await cursor.fetchmany(batch):
                    yield list(rows)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """All rows, read in one step on the reader's thread: no statement of this read stays open
        while another coroutine reads (an open one would pin the reader to an older snapshot)."""
        async with self._reading() as connection:
            return list(await connection.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def backup_to(self, target: Path) -> None:
        """Online, consistent copy of the database into `target`, owner-only.

        SQLite's backup API copies everything in one step from a separate read-only connection in a
        worker thread: it sees one committed snapshot while the bot keeps writing, and it never
        queues behind (or blocks) the bot's own connection."""
        create_private_file(target)
        await asyncio.to_thread(_copy, self.path, target)


def _copy(source: str, target: Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(Path(source).resolve().as_uri() + "?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
