"""Cases nobody has taken are announced again to their staff chat, every CASE_REMIND_MINUTES within
OFFICE_HOURS, by the store's clock (so tests move time by hand)."""

from __future__ import annotations

import asyncio
import logging

from bot.context import Services
from bot.outbox import notices

log = logging.getLogger(__name__)

INTERVAL = 60  # seconds between two looks


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


async def remind_forever(services: Services, interval: float = INTERVAL) -> None:
    """Until cancelled; a failure is logged, not fatal."""
    while True:
        try:
            await remind_once(services)
        except Exception:
            log.exception("reminders failed")
        await asyncio.sleep(interval)
