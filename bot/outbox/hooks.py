"""Glue between the outbox and cases: what a sent message means for a case, at start-up and after."""

from __future__ import annotations

import asyncio
import logging

from bot.context import Services
from bot.outbox import notices, topics
from bot.outbox.worker import Outbox
from bot.store.outbox import OutboxRow
from bot.store.privacy import ERASURE, Copy

log = logging.getLogger(__name__)

RECONCILE_WINDOW = 2 * 86400  # cards of cases this recent are queued again if they never were
# Sent outbox rows whose message belongs to a case: staff and reporters may reply to them.
_MAPPED = {
    "case_card": "card",
    "case_file": "relay",
    "relay_in": "relay",
    "relay_out": "relay",
    "notice": "relay",
    "urgent_alert": "relay",  # staff often answer the alert itself (bot/outbox/escalation.py)
}


def connect_outbox(services: Services, outbox: Outbox) -> None:
    """Hooks: remember which case a sent message belongs to, mark blocked users, follow migrations."""
    store = services.store

    async def remember(row: OutboxRow, message: dict) -> None:
        if row.ref is None or "message_id" not in message:
            return
        kind = _MAPPED[row.kind] if row.method == "sendMessage" else "file"
        case, now = await store.case_by_id(row.ref), store.db.now()
        if case is not None and case.erased_at is not None:  # erased while this was being sent
            if row.chat_id in {chat for chat, _ in await notices.staff_targets(services, case)}:
                await store.record_erased_copy(Copy(row.chat_id, message["message_id"], kind, case.id, now))
                await notices.erase_copies(services, await store.pending_erasures(), "staff-data-deleted")
            return
        await store.record_case_message(row.chat_id, message["message_id"], row.ref, kind)

    async def erase_failed(row: OutboxRow, reason: str) -> None:
        await notices.erase_failed(services, row, reason)

    async def blocked(user_id: int) -> None:
        await store.set_blocked(user_id, True)

    async def migrated(old: int, new: int) -> None:
        if old == services.staff_chat_id:
            await services.remember_staff_chat(new)

    async def topic_created(row: OutboxRow, result: dict) -> None:
        case = await store.case_by_id(row.ref)
        if case is not None and case.erased_at is not None:  # erased while its topic was being made
            copy = Copy(row.chat_id, result["message_thread_id"], "topic", case.id, store.db.now())
            await store.record_erased_copy(copy)
            await notices.erase_copies(services, await store.pending_erasures(), "staff-data-deleted")
            return
        await store.save_topic(row.ref, row.chat_id, result["message_thread_id"], result["name"])
        extra = {"message_thread_id": result["message_thread_id"]}
        await store.queue(await notices.case_cards(services, case, row.chat_id, extra))
        services.wake_outbox()

    async def topic_not_created(row: OutboxRow, reason: str) -> None:
        """No topic (the chat is no forum any more, or the bot lacks the right): a card as in a group."""
        if "not a forum" in reason:
            services.staff_forum = False
        await store.queue(await notices.case_cards(services, await store.case_by_id(row.ref), row.chat_id))
        services.wake_outbox()

    async def topic_renamed(row: OutboxRow, result: object) -> None:
        await store.set_topic_name(row.ref, row.payload["name"])

    for kind in _MAPPED:
        outbox.on_sent[kind] = remember
    outbox.on_failed[ERASURE] = erase_failed
    outbox.on_sent[topics.CREATE] = topic_created
    outbox.on_failed[topics.CREATE] = topic_not_created
    outbox.on_sent[topics.RENAME] = topic_renamed
    outbox.on_blocked = blocked
    outbox.on_migrated = migrated


HELD_CHECK = 5.0  # seconds between looks for held messages whose time has come


async def release_held_forever(services: Services, interval: float = HELD_CHECK) -> None:
    """Held outbox rows (e.g. a "resolved" notice during its minute of undo) are released when due,
    also those held before a restart. Real time on purpose: the worker never sleeps on held rows."""
    while True:
        try:
            if await services.store.release_held():
                services.wake_outbox()
        except Exception:
            log.exception("releasing held outbox rows failed")
        await asyncio.sleep(interval)


async def queue_missing_cards(services: Services) -> None:
    """A crash between committing a case and queueing its card: queue the card now."""
    if not services.staff_chat_id and not services.staff:
        return
    since = services.store.db.now() - RECONCILE_WINDOW
    for case in await services.store.cases_without_card(since):
        log.warning("queueing the missing staff card of case id %s", case.id)
        await services.store.queue(await notices.new_case(services, case))
