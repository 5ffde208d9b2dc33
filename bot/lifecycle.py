"""The one lifecycle: open the store, load content, build the application, close.

`run`, `chat`, the tests and every CLI command go through `open_services` / `running_app`, so start-up
and shutdown happen the same way everywhere (PTB's post_init only runs under run_polling/run_webhook).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from telegram.ext import Application
from telegram.request import BaseRequest

from bot.app import build_application
from bot.config import ConfigError, Settings
from bot.content import Content, load_content
from bot.context import Services
from bot.handlers.commands import set_commands
from bot.outbox import case_reminders, hooks, reminders
from bot.outbox.broadcaster import Broadcaster
from bot.outbox.escalation import escalate_forever
from bot.outbox.limiter import SendPath
from bot.outbox.worker import Outbox, Pacing
from bot.retention import purge_forever
from bot.search import SearchEngine
from bot.store import Clock, Database, Store
from bot.webhook import recover_forever

log = logging.getLogger(__name__)

SHARED_IDLE_POLL = 1.0  # seconds between looks at an idle outbox when other processes may queue rows
LEAD_CHECK = 1.0  # seconds between checks that this process still leads


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    clock: Clock = time.time,
    content: Content | None = None,
    search: SearchEngine | None = None,
) -> AsyncIterator[Services]:
    """Store and content (and the search index, unless one built from `content` is given: tests
    share one), closed again on exit."""
    content = content or load_content()
    content.env.globals["data_retention_days"] = settings.data_retention_days
    content.set_operator(settings.operator_name, settings.operator_contact)
    store = await Store.open(settings.database, clock)
    try:
        override = await store.get_kv("staff_chat_id")
        await store.sync_env_admins(settings.staff_ids)  # STAFF_IDS is authoritative for admins
        services = Services(
            settings=settings,
            store=store,
            content=content,
            search=search or build_search(content),
            staff_chat_override=int(override) if override else None,
        )
        await services.reload_staff()
        yield services
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def running_app(
    services: Services,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    pacing_time: tuple[Callable[[], float], Callable[[float], Awaitable[None]]] | None = None,
    send_path: SendPath | None = None,
) -> AsyncIterator[Application]:
    """An initialised Application (getMe done, commands set, background work started), shut down on exit."""
    app = build_application(services, request=request, updates_request=updates_request, send_path=send_path)
    try:
        await app.initialize()
    except Exception:
        # PTB's shutdown skips an application whose getMe failed, leaving its HTTP sessions open
        # (a screenful of "Unclosed client session" after the one line `run` prints).
        for opened in {*getattr(app.bot, "_request", ())}:
            await opened.shutdown()
        raise
    async with app:
        await set_commands(app)
        clock, sleep = pacing_time or (time.monotonic, asyncio.sleep)
        database = services.store.db
        # Processes sharing a database: rows queued by another process are noticed within a second.
        idle_poll = {"idle_poll": SHARED_IDLE_POLL} if database.shared else {}
        services.outbox = outbox = Outbox(
            app.bot,
            services.store,
            pacing=Pacing(overall_per_second=services.settings.broadcast_rate, **idle_poll),
            clock=clock,
            sleep=sleep,
        )
        hooks.connect_outbox(services, outbox)
        await hooks.queue_missing_cards(services)
        services.broadcaster = broadcaster = Broadcaster(services, app.bot, clock=clock)
        # One process at a time sends the outbox (so all together keep Telegram's limits), starts
        # broadcasts, escalates and purges: the leader. On SQLite that is always this process.
        background = {
            "broadcaster": broadcaster.run,
            "purge": lambda: purge_forever(services),
            "outbox": outbox.run,
            "held": lambda: hooks.release_held_forever(services),
            "escalation": lambda: escalate_forever(services),
            "case reminders": lambda: case_reminders.remind_forever(services),
            "date reminders": lambda: reminders.remind_forever(services),
        }
        if services.settings.webhook_mode:  # updates accepted but left behind by a dead process
            background["inbox"] = lambda: recover_forever(services, app)
        async with database.leadership("background") as leading:
            tasks = [
                asyncio.create_task(while_leading(leading, work), name=name)
                for name, work in background.items()
            ]
            if database.shared and isinstance(app.bot.rate_limiter, SendPath):
                tasks.append(asyncio.create_task(share_limits(app.bot.rate_limiter, database)))
            try:
                yield app
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                services.outbox = services.broadcaster = None


async def while_leading(leading: asyncio.Event, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` while `leading` is set; cancel it when the lead is lost, start it again when regained."""
    while True:
        await leading.wait()
        task = asyncio.ensure_future(work())
        try:
            while leading.is_set() and not task.done():
                await asyncio.wait({task}, timeout=LEAD_CHECK)
        finally:
            # Cancel until it ends: Python 3.11's asyncio.wait_for can swallow one cancellation.
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=LEAD_CHECK / 10)
            (outcome,) = await asyncio.gather(task, return_exceptions=True)
        if isinstance(outcome, Exception):
            log.error("background work failed", exc_info=outcome)
        if leading.is_set():  # the work ended on its own (it should not): do not spin
            await asyncio.sleep(LEAD_CHECK)


async def share_limits(send_path: SendPath, database: Database) -> None:
    """Every process (not only the leader) replies to updates: all together keep Telegram's overall
    limit, each 1/n of it, n counted by the database (a process that dies stops counting)."""
    while True:
        send_path.share(database.processes)
        await asyncio.sleep(LEAD_CHECK)


def require_operator(content: Content) -> None:
    """`run`: nobody can consent to an unnamed organisation, so the operator details must be set."""
    if content.operator_unset:
        names = " and ".join(f"OPERATOR_{key.upper()}" for key in content.operator_unset)
        file = content.root / "operator.yaml"
        with contextlib.suppress(ValueError):
            file = file.relative_to(Path.cwd())
        raise ConfigError(
            names,
            f"not set, and {file} says configured: false. Users must know who runs this service "
            f"before they consent: set {names} in .env, or fill in {file}",
        )


def build_search(content: Content) -> SearchEngine:
    """The FAQ search index, built once at start-up."""
    started = time.perf_counter()
    engine = SearchEngine.build(content.search_docs(), semantic=True, outside=content.search_outside())
    log.info("search index built in %.0f ms", (time.perf_counter() - started) * 1000)
    return engine
