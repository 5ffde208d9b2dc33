"""Cheap refusal of floods: a person who sends more than a few messages a second gets one polite
"please slow down", and what they send on top is dropped here, before any database or search work.

Safety still comes first: a message with danger words always goes through. An album (several
photos sent together) counts once: Telegram delivers each photo as its own message.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.content import pick_language
from bot.context import BotContext
from bot.processor import arrived
from bot.search.urgent import is_urgent

BURST = 5  # messages a person may send at once ...
PER_SECOND = 2.0  # ... and on and on
_FORGET_AT = 10_000  # people remembered before those who are calm again are forgotten

OK, WARN, DROP = "ok", "warn", "drop"


class FloodGate:
    """A token bucket per person; the first refusal of a flood says so, the others are silent."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._people: dict[int, tuple[float, float, bool]] = {}  # id -> tokens, when, warned

    def admit(self, user_id: int, now: float | None = None) -> str:
        """OK, or the first refusal (WARN), or a silent one (DROP); `now`: when the update arrived."""
        now = self._clock() if now is None else now
        tokens, stamp, warned = self._people.get(user_id, (BURST, now, False))
        tokens = min(BURST, tokens + max(0.0, now - stamp) * PER_SECOND)
        if tokens >= 1:
            self._remember(user_id, (tokens - 1, now, False), now)
            return OK
        self._remember(user_id, (tokens, now, True), now)
        return DROP if warned else WARN

    def _remember(self, user_id: int, state: tuple[float, float, bool], now: float) -> None:
        self._people[user_id] = state
        if len(self._people) > _FORGET_AT:
            self._people = {
                who: (tokens, stamp, warned)
                for who, (tokens, stamp, warned) in self._people.items()
                if tokens + (now - stamp) * PER_SECOND < BURST
            }


async def refuse_floods(update: Update, context: BotContext) -> None:
    """Runs first for every update (group -3): a person's update over the limit goes no further."""
    user, message, query = update.effective_user, update.effective_message, update.callback_query
    if user is None or user.is_bot or context.is_staff(user.id):
        return
    private = update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE
    if (query is None and not private) or (message is not None and message.media_group_id):
        return
    verdict = context.bot_data["flood_gate"].admit(user.id, arrived())
    text = message.text if query is None and message is not None else None
    if verdict == OK or (text and is_urgent(text)):
        return
    if query is not None:
        await query.answer()  # or the button keeps spinning
    elif verdict == WARN:
        lang = pick_language(None, user.language_code, context.settings.default_language)
        await context.bot.send_message(update.effective_chat.id, context.content.text(lang, "user-slow-down"))
    raise ApplicationHandlerStop
