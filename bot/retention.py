"""Retention: a periodic purge inside the bot's lifecycle (expired drafts, data past retention)."""

from __future__ import annotations

import asyncio
import logging

from bot.context import Services
from bot.outbox import notices
from bot.store.outbox import HOUSEKEEPING

log = logging.getLogger(__name__)

PURGE_INTERVAL = 3600  # seconds between purges; the first one runs at start-up
IDLE_GRACE_DAYS = 14  # staff are told this long before an idle open case is closed and purged
OUTBOX_KEEP_DAYS = 30  # sent messages are kept this long: enough to look into a delivery problem


async def purge_once(services: Services) -> dict[str, int]:
    """Delete what is past its retention, by the store's clock. Returns counts per kind."""
    store, settings = services.store, services.settings
    now = store.db.now()
    retention = now - settings.data_retention_days * 86400
    copies = await store.purge_cases(resolved_before=retention)
    await notices.erase_copies(services, copies, "staff-data-expired", HOUSEKEEPING)
    counts = {
        "case copies": len(copies),
        "drafts": await store.purge_drafts(older_than=now - settings.draft_ttl_hours * 3600),
        "registrations": await store.purge_registrations(inactive_since=retention),
        "unanswered": await store.purge_unanswered(
            older_than=now - settings.unanswered_retention_days * 86400
        ),
        "feedback": await store.purge_feedback(older_than=retention),
        "audit": await store.purge_audit(older_than=retention),
        "outbox": await store.purge_outbox(older_than=now - OUTBOX_KEEP_DAYS * 86400),
        "update IDs": await store.purge_inbox(older_than=now - 86400),
    }
    counts.update(await _idle_and_kept_cases(services, now, retention))
    if any(counts.values()):
        log.info("purged %s", ", ".join(f"{count} {kind}" for kind, count in counts.items() if count))
    return counts


async def _idle_and_kept_cases(services: Services, now: int, retention: int) -> dict[str, int]:
    """Open cases idle past retention: staff are told first, and the cases close and are erased
    IDLE_GRACE_DAYS later unless someone acts. Cases kept at /deletedata are erased once closed, and
    staff-chat copies a crash left unerased are queued."""
    store = services.store
    idle = await store.idle_open_cases(idle_since=retention)
    if idle:
        await notices.warn_idle(services, idle, closes=now + IDLE_GRACE_DAYS * 86400)
        await store.mark_idle_warned(idle)
    closed = await store.close_idle_cases(warned_before=now - IDLE_GRACE_DAYS * 86400)
    erased = await store.erase_cases_now(closed) + await store.erase_closed_kept()
    await notices.erase_copies(services, erased, "staff-data-expired", HOUSEKEEPING)
    await notices.erase_copies(services, await store.pending_erasures(), "staff-data-deleted")
    return {"idle cases warned": len(idle), "idle cases closed": len(closed)}


async def purge_forever(services: Services, interval: float = PURGE_INTERVAL) -> None:
    """Purge now and then every `interval` seconds until cancelled; a failure is logged, not fatal."""
    while True:
        try:
            await purge_once(services)
        except Exception:
            log.exception("purge failed")
        await asyncio.sleep(interval)
