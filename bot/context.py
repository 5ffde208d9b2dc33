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

    def text(self, key: str, **kwargs: Any) -> str:
        """A content message in this update's language."""
        return self.content.text(self.lang, key, **kwargs)
