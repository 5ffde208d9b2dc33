"""The callback context every handler receives: the services, plus the update's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.content import Content
from bot.search import SearchEngine
from bot.store import Store


@dataclass
class Services:
    """What the handlers need, built once by the lifecycle."""

    settings: Settings
    store: Store
    content: Content
    search: SearchEngine
    staff_chat_override: int | None = None  # the staff group's new ID after it became a supergroup
    outbox: Any = None  # the running Outbox worker (bot/outbox.py), when the application runs

    @property
    def staff_chat_id(self) -> int | None:
        return self.staff_chat_override or self.settings.staff_chat_id

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.staff_ids


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """`context.store`, `context.content`, `context.settings`; `context.lang` is set per update."""

    lang: str = "id"

    def __init__(
        self, application: Application, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.lang = self.services.settings.default_language

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def content(self) -> Content:
        return self.services.content

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def is_staff(self, user_id: int | None) -> bool:
        return self.services.is_staff(user_id)

    def text(self, key: str, **kwargs: Any) -> str:
        """A content message in this update's language."""
        return self.content.text(self.lang, key, **kwargs)
