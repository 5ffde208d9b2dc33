"""Retention: a periodic purge inside the bot's lifecycle (expired drafts, data past retention)."""

from __future__ import annotations

import asyncio
import logging

from bot.context import Services
from bot.outbox import notices
from bot.store.outbox import HOUSEKEEPING

log = logging.getLogger(__name__)

PURGE_INTERVAL = 3600  # seconds between purges; the first one runs at start-up
OUTBOX_KEEP_DAYS = 30  # sent messages are kept this long: enough to look into a delivery problem


async def purge_once(services: Services) -> dict[str, int]:
    """Delete what is past its retention, by the store's clock. Returns counts per kind."""
    store, settings = services.store, services.settings
    now = store.db.now()
    retention = now - settings.data_retention_days * 86400
    shown = await store.purge_cases(resolved_before=retention)
    await notices.mark_erased(services, shown, "staff-data-expired", HOUSEKEEPING)
    counts = {
        "case cards": len(shown),
        "drafts": await store.purge_drafts(older_than=now - settings.draft_ttl_hours * 3600),
        "registrations": await store.purge_registrations(inactive_since=retention),
        "unanswered": await store.purge_unanswered(
            older_than=now - settings.unanswered_retention_days * 86400
        ),
        "feedback": await store.purge_feedback(older_than=retention),
        "audit": await store.purge_audit(older_than=retention),
        "outbox": await store.purge_outbox(older_than=now - OUTBOX_KEEP_DAYS * 86400),
        "update IDs": await store.db.purge_processed_updates(older_than=now - 86400),
    }
    if any(counts.values()):
        log.info("purged %s", ", ".join(f"{count} {kind}" for kind, count in counts.items() if count))
    return counts


async def purge_forever(services: Services, interval: float = PURGE_INTERVAL) -> None:
    """Purge now and then every `interval` seconds until cancelled; a failure is logged, not fatal."""
    while True:
        try:
            await purge_once(services)
        except Exception:
            log.exception("purge failed")
        await asyncio.sleep(interval)
