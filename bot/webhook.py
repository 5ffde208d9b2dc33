"""Webhook mode: the listener that writes each update down before Telegram is answered, and the
recovery of updates a dead process left behind.

PTB's own webhook server answers Telegram 200 before the update is handled, so a process killed
with -9 loses the updates it had accepted but not yet handled. This listener first commits the update
to the inbox (bot/store/inbox.py explains the design and why it beats answering after handling), then
answers 200 and hands the update to the application's queue, as PTB's server would.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.context import Services
from bot.processor import update_key

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # bytes: an update is a few kB; Telegram's largest are far below this
RECOVERY_INTERVAL = 2.0  # seconds between looks for updates left behind by a dead process
RECOVERY_GRACE = 2  # seconds: a process that has just started may not be known alive yet


class WebhookListener:
    """POST <path>: check the secret, commit the update to the inbox, answer 200, queue it."""

    def __init__(self, app: Application, services: Services, path: str, secret: str) -> None:
        self._app, self._services = app, services
        self._path, self._secret = "/" + path.strip("/"), secret.encode()
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        server = web.Application(client_max_size=MAX_BODY)
        server.router.add_post(self._path, self._receive)
        self._runner = web.AppRunner(server, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()

    async def stop(self) -> None:
        """Stop accepting (what was accepted is in the inbox, handled here or by another process)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
        if self._secret and not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        body = await request.text()
        try:
            update = Update.de_json(json.loads(body), self._app.bot)
        except Exception:  # not JSON, or not an update: PTB's server answers 400 too
            log.warning("the webhook received something that is not an update")
            return web.Response(status=400)
        try:
            fresh = await self._services.store.accept_update(update.update_id, update_key(update), body)
        except Exception:  # Telegram delivers it again later: nothing is lost
            log.exception("could not write update %s down: answering 500", update.update_id)
            return web.Response(status=500)
        if fresh:
            await self._app.update_queue.put(update)
        else:
            log.info("update %s was delivered again: accepted already", update.update_id)
        return web.Response(status=200)


async def recover_once(services: Services, app: Application, grace: int = RECOVERY_GRACE) -> int:
    """Queue the updates accepted by a process no longer alive (or by this one before a restart)
    more than `grace` seconds ago and still not handled, oldest first; each runs in its chat's turn,
    which handles it only if nobody has meanwhile. Returns how many were queued."""
    in_hand = getattr(app.update_processor, "in_hand", set())
    left = await services.store.updates_left_behind(received_before=services.store.db.now() - grace)
    queued = 0
    for update_id, body in left:
        if update_id in in_hand:
            continue
        await app.update_queue.put(Update.de_json(json.loads(body), app.bot))
        queued += 1
    if queued:
        log.warning("taking over %d accepted updates not handled yet", queued)
    return queued


async def recover_forever(services: Services, app: Application, interval: float = RECOVERY_INTERVAL) -> None:
    """The leader's loop: an update a dead process left behind is handled within seconds (the time
    the survivors take to see it gone, about a second, plus grace and interval)."""
    while True:
        try:
            await recover_once(services, app)
        except Exception:
            log.exception("looking for updates left behind failed")
        await asyncio.sleep(interval)
