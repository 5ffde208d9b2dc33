"""Users: everyone who has written to the bot."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.db import Database

# A user's row is refreshed at most this often (seconds), so busy chats do not write on every update.
TOUCH_INTERVAL = 60


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    telegram_language: str | None
    language: str | None
    first_seen: int
    last_seen: int
    blocked: bool
    opted_out: bool = False


class UserStore:
    db: Database

    def __init__(self) -> None:
        self._touched: dict[int, tuple[int, str, str | None]] = {}

    async def touch_user(self, user_id: int, first_name: str, telegram_language: str | None) -> None:
        """Record a user who wrote, or refresh their name, Telegram language and last_seen."""
        now = self.db.now()
        seen = self._touched.get(user_id)
        if seen and seen[1:] == (first_name, telegram_language) and now - seen[0] < TOUCH_INTERVAL:
            return
        await self.db.write(
            "INSERT INTO users (id, first_name, telegram_language, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " first_name = excluded.first_name, telegram_language = excluded.telegram_language,"
            " last_seen = excluded.last_seen, blocked = 0",
            (user_id, first_name, telegram_language, now, now),
        )
        if len(self._touched) > 50_000:
            self._touched.clear()
        self._touched[user_id] = (now, first_name, telegram_language)

    async def get_user(self, user_id: int) -> User | None:
        row = await self.db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        if row is None:
            return None
        return User(**{**dict(row), "blocked": bool(row["blocked"]), "opted_out": bool(row["opted_out"])})

    async def set_language(self, user_id: int, language: str) -> None:
        await self.db.write("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    async def user_language(self, user_id: int) -> str | None:
        """The language the user chose with /language, if any."""
        return await self.db.fetch_value("SELECT language FROM users WHERE id = ?", (user_id,))

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        await self.db.write("UPDATE users SET blocked = ? WHERE id = ?", (int(blocked), user_id))
        self._touched.pop(user_id, None)
