"""Urgent cases nobody takes: after URGENT_ESCALATE_MINUTES staff are alerted again, and at three
times that (30 minutes by default) every staff member is mentioned by name.

How far a case was escalated is kept in the store (cases.escalated) and time is the store's clock, so a
restart neither forgets nor repeats a step, and tests move time by moving the clock. Each step is one
transaction: the level, an audit line, the alerts queued ahead of every other message.
"""

from __future__ import annotations

import asyncio
import logging

from bot.context import Services
from bot.outbox import notices
from bot.store import Case
from bot.store.outbox import URGENT_CARD, Outgoing

log = logging.getLogger(__name__)

CHECK_INTERVAL = 30  # real seconds between looks; the first look is at start-up
# (level, minutes as a multiple of URGENT_ESCALATE_MINUTES, staff message), the later step first: a
# case found already past both deadlines (the bot was down) gets the stronger alert once, not both.
STEPS = ((2, 3, "staff-urgent-alert-all"), (1, 1, "staff-urgent-alert"))


async def escalate_once(services: Services) -> int:
    """Escalate every urgent case whose time has come; returns how many steps were taken."""
    store, minutes = services.store, services.settings.urgent_escalate_minutes
    taken = 0
    for level, times, key in STEPS:
        waited = minutes * times
        for case in await store.unattended_urgent(store.db.now() - waited * 60, below=level):
            alerts = await _alerts(services, case, key, waited)
            if await store.escalate(case.id, level, alerts):
                log.warning("urgent case id %s untaken after %s minutes: staff alerted", case.id, waited)
                taken += 1
    if taken:
        services.wake_outbox()
    return taken


async def escalate_forever(services: Services, interval: float = CHECK_INTERVAL) -> None:
    """Look now and then every `interval` seconds until cancelled; a failure is logged, not fatal."""
    while True:
        try:
            await escalate_once(services)
        except Exception:
            log.exception("urgent escalation failed")
        await asyncio.sleep(interval)


async def _alerts(services: Services, case: Case, key: str, minutes: int) -> list[Outgoing]:
    """The alert in every staff chat, as a reply to the case's card there."""
    store, lang = services.store, services.settings.default_language
    mentions = [
        (staff_id, user.first_name if user and user.first_name else "")
        for staff_id, user in [(i, await store.get_user(i)) for i in sorted(services.staff)]
    ]
    text = services.content.text(lang, key, case=case, minutes=minutes, mentions=mentions)
    alerts = []
    for chat_id, extra in await notices.staff_targets(services, case):
        cards = [m for c, m in await store.case_messages(case.id, "card") if c == chat_id]
        reply = (
            {"reply_parameters": {"message_id": cards[-1], "allow_sending_without_reply": True}}
            if cards
            else {}
        )
        payload = {"text": text, "parse_mode": "HTML", **extra, **reply}
        alerts.append(
            Outgoing(chat_id, "sendMessage", payload, kind="urgent_alert", ref=case.id, priority=URGENT_CARD)
        )
    return alerts
