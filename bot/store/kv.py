"""Small settings the bot learns while running (the staff group's ID after a migration)."""

from __future__ import annotations

from bot.store.db import Database


class KvStore:
    db: Database

    async def get_kv(self, key: str) -> str | None:
        return await self.db.fetch_value("SELECT value FROM settings_kv WHERE key = ?", (key,))

    async def set_kv(self, key: str, value: str) -> None:
        async with self.db.transaction() as db:
            await db.execute(
                "INSERT INTO settings_kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value, self.db.now()),
            )
