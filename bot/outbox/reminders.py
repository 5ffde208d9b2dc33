"""Reminders of workers' dates (issue 23): what is due is claimed and queued through the outbox, at
most once per (worker, kind, date, offset, snooze round), at a waking hour of the reader.

`remind_once` runs every REMIND_INTERVAL seconds inside the lifecycle, and at once for a date just
entered (`only`, `at_once`). The decisions are bot/reminders.step's; the claim is the store's."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import reminders
from bot.callbacks import pack
from bot.content import Content
from bot.context import Services
from bot.store.outbox import BROADCAST, Outgoing
from bot.store.reminders import Decision, DueDate

log = logging.getLogger(__name__)

REMIND_INTERVAL = 60  # seconds between looks for due reminders
BATCH = 100  # dates per transaction: short, so interactive writes wait little


def in_words(content: Content, lang: str, day: date, today: date) -> str:
    """'12 Maret 2027, 98 hari lagi' in the reader's language."""
    return content.text(
        lang, "user-dates-in-words", day=day.day, month=day.month, year=day.year, days=(day - today).days
    )


def message(services: Services, due: DueDate, days: int) -> Outgoing:
    """The reminder for `due`, `days` before its date, with its snooze and stop buttons."""
    content, lang = services.content, due.lang or services.settings.default_language
    day = date.fromisoformat(due.day)
    zone_name = reminders.zone_for(due.country, due.stage, due.relation)
    today = reminders.local_today(services.store.db.now(), zone_name)
    text = content.text(
        lang,
        f"user-reminder-{due.kind}",
        name=due.name,
        when=in_words(content, lang, day, today),
        days=(day - today).days,
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    content.text(lang, "user-reminder-button-snooze"),
                    callback_data=pack("rem", str(due.id), "snooze"),
                )
            ],
            [
                InlineKeyboardButton(
                    content.text(lang, "user-reminder-button-stop"),
                    callback_data=pack("rem", str(due.id), "stop"),
                )
            ],
        ]
    )
    payload = {"text": text, "parse_mode": "HTML", "reply_markup": markup.to_dict()}
    return Outgoing(due.user_id, "sendMessage", payload, kind="reminder", ref=due.id, priority=BROADCAST)


def decide(services: Services, due: DueDate, now: int, *, at_once: bool = False) -> Decision:
    offsets = services.settings.reminder_days[due.kind]
    zone_name = reminders.zone_for(due.country, due.stage, due.relation)
    plan = reminders.step(
        date.fromisoformat(due.day),
        offsets,
        zone_name,
        now,
        pending=due.next_days,
        round=due.round,
        at_once=at_once,
    )
    sent = message(services, due, plan.send[0]) if plan.send else None
    return Decision(due, plan.send, plan.skip, plan.next_days, plan.next_at, plan.round, sent)


async def remind_once(services: Services, *, only: int | None = None, at_once: bool = False) -> int:
    """Claim and queue every due reminder (or that of date `only`); returns how many were queued."""
    store, queued = services.store, 0
    for _ in range(10_000):  # each pass moves every date it read on; the bound is a safety net
        now = store.db.now()
        due = await store.due_dates(now, BATCH, only)
        if not due:
            break
        decisions = []
        for n, found in enumerate(due, start=1):
            decisions.append(decide(services, found, now, at_once=at_once))
            if n % 10 == 0:
                await asyncio.sleep(0)  # writing messages is CPU work: let replies to users in between
        queued += await store.apply_reminders(decisions, now)
        services.wake_outbox()
        if len(due) < BATCH or only is not None:
            break
    if queued:
        log.info("queued %d reminders", queued)
    return queued


async def remind_forever(services: Services, interval: float = REMIND_INTERVAL) -> None:
    """Look for due reminders now and every `interval` seconds until cancelled; never fatal."""
    while True:
        try:
            await remind_once(services)
        except Exception:
            log.exception("reminders failed")
        await asyncio.sleep(interval)
