"""The one SQLite connection: opening, migrations and the serialised write transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.migrations import MIGRATIONS

log = logging.getLogger(__name__)

Clock = Callable[[], float]


def create_private_file(path: Path) -> None:
    """Create `path` (and its folders) readable by its owner only, if it does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class Database:
    """Owns one aiosqlite connection; every write goes through `transaction()`."""

    def __init__(self, connection: aiosqlite.Connection, clock: Clock, path: str = ":memory:") -> None:
        self._db = connection
        self.path = path
        self._write_lock = asyncio.Lock()
        self.clock = clock

    @classmethod
    async def connect(cls, path: Path | str, clock: Clock = time.time) -> Database:
        if str(path) != ":memory:":
            create_private_file(Path(path))
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            connection.row_factory = aiosqlite.Row
            for pragma in (
                "journal_mode = WAL",
                "foreign_keys = ON",
                "synchronous = NORMAL",
                "busy_timeout = 5000",
            ):
                await connection.execute(f"PRAGMA {pragma}")
            database = cls(connection, clock, str(path))
            await database.migrate()
        except BaseException:
            await connection.close()  # its worker thread would otherwise keep the process alive
            raise
        return database

    async def close(self) -> None:
        await self._db.close()

    def now(self) -> int:
        return int(self.clock())

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time (BEGIN IMMEDIATE under a lock), committed on exit."""
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
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

    async def stream(
        self, sql: str, params: Sequence[Any] = (), batch: int = 500
    ) -> AsyncIterator[list[aiosqlite.Row]]:
        """The rows in batches, for results too big to hold at once (writes may run in between)."""
        async with self._db.execute(sql, params) as cursor:
            while rows := await cursor.fetchmany(batch):
                yield list(rows)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetch_value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded in schema_migrations, in order."""
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"
        )
        done = {row[0] for row in await self.fetch_all("SELECT name FROM schema_migrations")}
        applied = []
        for name, statements in MIGRATIONS:
            if name in done:
                continue
            async with self.transaction() as db:
                for statement in _split(statements):
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (name, self.now()),
                )
            log.info("applied migration %s", name)
            applied.append(name)
        return applied

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


def _split(script: str) -> Iterable[str]:
    return (part.strip() for part in script.split(";") if part.strip())
