"""Starts broadcasts when their time comes (schedules live in SQLite, so they survive restarts),
queues their recipients into the outbox, and keeps the staff member's progress message current."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.callbacks import pack
from bot.content import LANGUAGES
from bot.context import Services
from bot.outbox.limiter import lane
from bot.store import Broadcast
from bot.store.outbox import NOTICE

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 5.0  # seconds between two edits of a progress message
FINAL_GAP = 1.5  # the last edit waits at least this long after the one before (Telegram: ~1/s per chat)


def recipient_payload(services: Services, broadcast: Broadcast, lang: str) -> dict[str, Any]:
    """The message exactly as a recipient in `lang` gets it, with the small "stop announcements" button."""
    label = services.content.text(lang, "user-button-optout")
    markup = {"inline_keyboard": [[{"text": label, "callback_data": pack("optout")}]]}
    if broadcast.photo:
        return {
            "photo": broadcast.photo,
            "caption": broadcast.html,
            "parse_mode": "HTML",
            "reply_markup": markup,
        }
    return {"text": broadcast.html, "parse_mode": "HTML", "reply_markup": markup}


class Broadcaster:
    def __init__(
        self,
        services: Services,
        bot: Bot,
        *,
        interval: float = PROGRESS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services, self.bot, self.interval, self.clock = services, bot, interval, clock
        self._wakeup = asyncio.Event()
        self._shown: dict[int, str] = {}
        self._last_edit: dict[int, float] = {}
        self._rates: dict[int, tuple[float, int]] = {}
        self.unfinished: set[int] = set()  # broadcasts whose last progress is not shown yet

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        """Until cancelled: start due broadcasts, update progress, every `interval` seconds or on wake."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("broadcast tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.interval)
            self._wakeup.clear()

    async def tick(self) -> None:
        store = self.services.store
        scheduled = [
            b for b in await store.broadcasts("scheduled", limit=100) if b.scheduled_at <= store.db.now()
        ]
        if scheduled:
            payloads = {
                str(b.id): {lang: recipient_payload(self.services, b, lang) for lang in LANGUAGES}
                for b in scheduled
            }
            methods = {str(b.id): "sendPhoto" if b.photo else "sendMessage" for b in scheduled}
            for started in await store.start_due_broadcasts(
                payloads, methods, self.services.settings.default_language
            ):
                log.info("broadcast %s started: %s recipients", started.id, started.recipients)
            self.services.wake_outbox()
        for broadcast in await store.broadcasts("sending", limit=100):
            if broadcast.id not in self.unfinished:  # the first progress waits one interval too:
                self.unfinished.add(broadcast.id)  # the staff chat just got the confirmation
                self._last_edit.setdefault(broadcast.id, self.clock())
            counts = await store.broadcast_counts(broadcast.id)
            if not counts.get("pending") and not counts.get("sending"):
                await store.finish_broadcast(broadcast.id)
                log.info("broadcast %s done: %s", broadcast.id, counts)
        for broadcast_id in sorted(self.unfinished):
            broadcast = await store.broadcast(broadcast_id)
            await self._show_progress(broadcast, await store.broadcast_counts(broadcast_id))

    async def _show_progress(self, broadcast: Broadcast, counts: dict[str, int]) -> None:
        """Edit the staff member's progress message (sent once, then edited, never per recipient)."""
        services = self.services
        lang = services.settings.default_language
        sent = counts.get("sent", 0)
        remaining = counts.get("pending", 0) + counts.get("sending", 0)
        rate = self._rate(broadcast.id, sent)
        text = services.content.text(
            lang,
            "staff-broadcast-progress",
            broadcast=broadcast,
            sent=sent,
            failed=counts.get("failed", 0),
            unknown=counts.get("unknown", 0),
            remaining=remaining,
            rate=rate,
            left=int(remaining / rate) if rate else None,
        )
        final = broadcast.status not in ("scheduled", "sending")
        since = self.clock() - self._last_edit.get(broadcast.id, float("-inf"))
        if self._shown.get(broadcast.id) == text or since < (FINAL_GAP if final else self.interval):
            if self._shown.get(broadcast.id) == text and final:
                self.unfinished.discard(broadcast.id)
            return
        markup = progress_markup(services, broadcast, counts)
        try:
            if broadcast.progress_message is None:
                message = await self.bot.send_message(
                    broadcast.created_by, text, reply_markup=markup, **lane(self.bot, NOTICE)
                )
                await services.store.set_progress_message(broadcast.id, message.chat_id, message.message_id)
            else:
                await self.bot.edit_message_text(
                    text,
                    broadcast.progress_chat,
                    broadcast.progress_message,
                    reply_markup=markup,
                    **lane(self.bot, NOTICE),
                )
            self._shown[broadcast.id] = text
            self._last_edit[broadcast.id] = self.clock()
            if final:
                self.unfinished.discard(broadcast.id)
        except TelegramError as error:
            log.warning("progress of broadcast %s not shown: %s", broadcast.id, error)

    def _rate(self, broadcast_id: int, sent: int) -> float:
        now = self.clock()
        first = self._rates.setdefault(broadcast_id, (now, sent))
        elapsed = now - first[0]
        return (sent - first[1]) / elapsed if elapsed > 0 else 0.0


def progress_markup(
    services: Services, broadcast: Broadcast, counts: dict[str, int]
) -> InlineKeyboardMarkup | None:
    text = services.content.text
    lang = services.settings.default_language
    if broadcast.status in ("scheduled", "sending"):
        label = text(lang, "staff-broadcast-button-cancel")
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=pack("bc", str(broadcast.id), "cancel"))]]
        )
    if counts.get("unknown"):
        label = text(lang, "staff-broadcast-button-resend", unknown=counts["unknown"])
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=pack("bc", str(broadcast.id), "resend"))]]
        )
    return None
