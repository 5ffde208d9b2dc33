"""Concurrent update processing that keeps each chat's (or user's) updates in arrival order."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger("bot.updates")

# PTB's own semaphore only bounds how many updates may wait here (memory); real work is bounded below.
MAX_WAITING = 10_000


def update_key(update: object) -> int | None:
    """Updates with the same key run one after another: the chat, else the user."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else None


class OrderedUpdateProcessor(BaseUpdateProcessor):
    """Different chats run concurrently; one chat's updates strictly in order.

    An update first waits for the previous update of its chat (without holding a work slot), then
    takes one of `max_working` slots. So one flooding chat holds at most one slot at a time and can
    never fill the bound that protects everybody else.
    """

    def __init__(self, max_working: int = 64) -> None:
        super().__init__(MAX_WAITING)
        self._working = asyncio.Semaphore(max_working)
        self._tails: dict[int, asyncio.Future[None]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = update_key(update)
        if key is None:
            async with self._working:
                await self._timed(update, coroutine)
            return
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._working:
                await self._timed(update, coroutine)
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    @staticmethod
    async def _timed(update: object, coroutine: Awaitable[Any]) -> None:
        """One INFO line per update: its ID and how long it took (no personal data)."""
        started = time.perf_counter()
        try:
            await coroutine
        finally:
            update_id = update.update_id if isinstance(update, Update) else None
            log.info("handled update %s in %.1f ms", update_id, (time.perf_counter() - started) * 1000)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
