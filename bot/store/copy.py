"""`python -m bot copy-db --to postgresql://...`: move a SQLite database to PostgreSQL in one go.

Both sides are brought to the latest migration first, so the tables and columns match. Every table
(found in SQLite, parents before the tables that refer to them) is copied in batches inside ONE
PostgreSQL transaction: the copy lands whole or not at all. The target must be empty. Afterwards the
generated-id sequences continue after the copied ids, and the row counts are compared table by table.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

from bot.store.db import Database, SqliteDatabase
from bot.store.dialect import POSTGRESQL

BATCH = 1000


class CopyError(Exception):
    """The copy cannot start or did not match; the message is one line."""


async def _tables(source: SqliteDatabase) -> list[str]:
    """The bot's tables, each after the tables its foreign keys point to."""
    names = [
        row[0]
        for row in await source.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name != 'schema_migrations' ORDER BY name"
        )
    ]
    graph = {}
    for name in names:
        parents = await source.fetch_all(f"SELECT \"table\" FROM pragma_foreign_key_list('{name}')")
        graph[name] = {row[0] for row in parents if row[0] != name}
    return list(TopologicalSorter(graph).static_order())


async def _columns(source: SqliteDatabase, table: str) -> list[str]:
    return [row[0] for row in await source.fetch_all(f"SELECT name FROM pragma_table_info('{table}')")]


async def copy_database(source: SqliteDatabase, target: Database) -> dict[str, int]:
    """Copy every row of `source` into the empty PostgreSQL `target`; returns rows per table."""
    if target.dialect != POSTGRESQL:
        raise CopyError("the target must be a postgresql:// URL")
    tables = await _tables(source)
    for table in tables:
        if await target.fetch_value(f"SELECT EXISTS (SELECT 1 FROM {table})"):
            raise CopyError(f"the target database is not empty (table {table} has rows)")
    copied: dict[str, int] = {}
    async with target.transaction() as db:
        for table in tables:
            columns = await _columns(source, table)
            insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            copied[table] = 0
            async for rows in source.stream(f"SELECT {', '.join(columns)} FROM {table}", batch=BATCH):
                await db.executemany(insert, [tuple(row) for row in rows])
                copied[table] += len(rows)
            if "id" in columns:
                await db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1,"
                    f" false) FROM {table} WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL"
                )
    for table, count in copied.items():
        if await target.fetch_value(f"SELECT COUNT(*) FROM {table}") != count:
            raise CopyError(f"table {table}: the row counts differ after the copy")
    return copied
