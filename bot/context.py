"""The callback context every handler receives: the services, plus the update's language."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.content import Content
from bot.outbox.worker import Outbox
from bot.search import SearchEngine
from bot.store import StaffMember, Store

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A background worker that sleeps until its next deadline, or until woken for new work."""

    def wake(self) -> None: ...


@dataclass
class Services:
    """What the handlers need, built once by the lifecycle, and the background workers it runs."""

    settings: Settings
    store: Store
    content: Content
    search: SearchEngine
    staff_chat_override: int | None = None  # the staff group's new ID after it became a supergroup
    staff_forum: bool | None = None  # the staff chat is a forum (topics per case); None: not yet known
    outbox: Outbox | None = None  # the running workers (bot/outbox/), while the application runs
    broadcaster: Worker | None = None
    reminders: Worker | None = None
    # Every staff member by user ID, as in the database: read at every step of every staff flow, and
    # reloaded by `reload_staff` after every change, so a change in Telegram takes effect at once.
    staff: dict[int, StaffMember] = field(default_factory=dict)

    @property
    def staff_chat_id(self) -> int | None:
        return self.staff_chat_override or self.settings.staff_chat_id

    def is_staff(self, user_id: int | None, roles: tuple[str, ...] = ()) -> bool:
        """Whether `user_id` is staff now (with one of `roles`, when given)."""
        member = self.staff.get(user_id) if user_id is not None else None
        return member is not None and (not roles or member.role in roles)

    async def reload_staff(self) -> None:
        self.staff = {member.user_id: member for member in await self.store.staff_members()}

    async def may_act_on(self, user_id: int | None, case_id: int) -> bool:
        """Staff now, and the case is in their scope (their districts and villages, or every case)."""
        if not self.is_staff(user_id):
            return False
        return self.staff[user_id].everywhere or await self.store.in_scope(user_id, case_id)

    def wake_outbox(self) -> None:
        """New rows are queued: send them now rather than at the worker's next deadline."""
        if self.outbox is not None:
            self.outbox.wake()

    def wake_broadcaster(self) -> None:
        """A broadcast was confirmed, cancelled or resent: look at it now."""
        if self.broadcaster is not None:
            self.broadcaster.wake()

    async def remember_staff_chat(self, new_id: int) -> None:
        """The staff group became a supergroup: use (and keep) its new ID from now on."""
        old = self.staff_chat_id
        if old == new_id:
            return
        await self.store.set_kv("staff_chat_id", str(new_id))
        self.staff_chat_override = new_id
        self.staff_forum = None  # asked again: turning Topics on is one way a group becomes a supergroup
        log.warning(
            "staff chat %s became supergroup %s: now using the new ID (set STAFF_CHAT_ID=%s)",
            old,
            new_id,
            new_id,
        )


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

    def is_staff(self, user_id: int | None, roles: tuple[str, ...] = ()) -> bool:
        return self.services.is_staff(user_id, roles)

    def text(self, key: str, **kwargs: Any) -> str:
        """A content message in this update's language."""
        return self.content.text(self.lang, key, **kwargs)
