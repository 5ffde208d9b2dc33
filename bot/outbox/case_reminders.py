"""Timed casework, by the store's clock (so tests move time by hand): cases nobody has taken are
announced again to their staff chat every CASE_REMIND_MINUTES within OFFICE_HOURS; cases idle for
AUTO_CLOSE_DAYS with the reporter silent are closed, with a notice the reporter can undo."""

from __future__ import annotations

import asyncio
import logging

from bot.callbacks import pack
from bot.context import Services
from bot.outbox import notices
from bot.store import Case, Change, Outgoing

log = logging.getLogger(__name__)

INTERVAL = 60  # seconds between two looks
RATINGS = ("1", "2", "3", "4", "5")
AUTO_CLOSE_DAYS = 14  # days a case in progress or referred may stay idle before it is closed


def rating_prompt(services: Services, case: Case) -> Outgoing:
    """The question to the reporter, in their language, with five buttons."""
    text = services.content.text(case.lang, "user-rate-ask", case=case)
    buttons = [[{"text": "⭐" * int(n), "callback_data": pack("rt", str(case.id), n)}] for n in RATINGS]
    payload = {"text": text, "parse_mode": "HTML", "reply_markup": {"inline_keyboard": buttons}}
    return Outgoing(case.user_id, "sendMessage", payload, kind="notice", ref=case.id)


def closed_notice(services: Services, case: Case) -> Outgoing:
    """The reporter is told the idle case is closed, with the button that reopens it."""
    text = services.content.text(case.lang, "user-case-auto-closed", case=case, days=AUTO_CLOSE_DAYS)
    label = services.content.text(case.lang, "user-button-reopen")
    markup = {"inline_keyboard": [[{"text": label, "callback_data": pack("ru", str(case.id))}]]}
    return Outgoing(
        case.user_id,
        "sendMessage",
        {"text": text, "parse_mode": "HTML", "reply_markup": markup},
        "notice",
        case.id,
    )


async def remind_once(services: Services) -> int:
    """Re-announce the cards of the due cases; returns how many cases were re-announced."""
    settings, store = services.settings, services.store
    minutes = settings.case_remind_minutes
    if not minutes or not settings.office_hours.contains(store.db.now()):
        return 0
    due = await store.cases_to_remind(minutes * 60)
    for case in due:
        header = services.content.text(settings.default_language, "staff-case-reminder", case=case)
        cards = [item for item in await notices.new_case(services, case) if item.kind == "case_card"]
        for item in cards:
            item.payload["text"] = f"{header}\n\n{item.payload['text']}"
        await store.queue(cards)
        await store.mark_reminded(case.id)
    if due:
        log.info("re-announced %s cases nobody has taken", len(due))
        services.wake_outbox()
    return len(due)


async def close_idle_once(services: Services) -> int:
    """Close the cases idle for AUTO_CLOSE_DAYS (nothing from staff or the reporter); each reporter is
    told, with a button that reopens the case. Returns how many were closed."""
    store = services.store
    idle = await store.idle_cases(AUTO_CLOSE_DAYS * 86400)
    for case in idle:
        outgoing = (closed_notice(services, case),) if case.user_id is not None else ()
        case = await store.apply_change(
            case.id, 0, Change(event="auto_close", status="resolved", outgoing=outgoing)
        )
        await store.record_closure(case.id)
        await _refresh_cards(services, case)
    if idle:
        log.info("closed %s idle cases", len(idle))
        services.wake_outbox()
    return len(idle)


async def _refresh_cards(services: Services, case: Case) -> None:
    """Every staff card of the case shows its new status."""
    text = await notices.card_text(services, case)
    payload = {
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": notices.card_markup(services, case).to_dict(),
    }
    shown = await services.store.case_messages(case.id, "card")
    await services.store.queue(
        [Outgoing(chat, "editMessageText", {**payload, "message_id": message}) for chat, message in shown]
    )


async def remind_forever(services: Services, interval: float = INTERVAL) -> None:
    """Until cancelled; a failure is logged, not fatal."""
    while True:
        try:
            await remind_once(services)
            await close_idle_once(services)
        except Exception:
            log.exception("reminders failed")
        await asyncio.sleep(interval)
