"""Concurrent update processing that keeps each chat's (or user's) updates in arrival order."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.store.inbox import Turn

log = logging.getLogger("bot.updates")

# A chat's turn (webhook mode): its oldest accepted update not handled yet. Store.db.update_turn.
UpdateTurn = Callable[[int | None], AbstractAsyncContextManager[Turn]]

# PTB's own semaphore only bounds how many updates may wait here (memory); real work is bounded below.
MAX_WAITING = 10_000

# The handlers that ran for the update in hand, for its log line. PTB awaits (blocking) handlers in
# the update's own task, so what they add here is seen when the update is done.
_HANDLED_BY: ContextVar[list[str] | None] = ContextVar("handled_by", default=None)


# When the update in hand reached the bot (the processor's clock), for checks that must not count the
# time it waited behind its chat's earlier updates (the flood gate, bot/handlers/floodgate.py).
_ARRIVED: ContextVar[float | None] = ContextVar("arrived", default=None)


def arrived() -> float | None:
    """When the update being handled arrived; None outside the processor."""
    return _ARRIVED.get()


def traced(callback: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The callback, recording its name (`module.function`) for the update's log line."""
    name = f"{callback.__module__.rsplit('.', 1)[-1]}.{callback.__name__}"

    @functools.wraps(callback)
    async def run(update: object, context: Any) -> Any:
        names = _HANDLED_BY.get()
        if names is not None:
            names.append(name)
        return await callback(update, context)

    return run


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

    With `turn` (webhook mode), updates come from the webhook inbox (bot/store/inbox.py): an update
    is handled in its chat's turn, after the chat's older updates another process left behind, and
    only if no process has handled it yet; on PostgreSQL one chat's updates also run one at a time
    across processes. `handle_json` (set by bot/app.py) handles an update from its JSON.
    """

    def __init__(
        self,
        max_working: int = 64,
        *,
        clock: Callable[[], float] = time.monotonic,
        turn: UpdateTurn | None = None,
    ) -> None:
        super().__init__(MAX_WAITING)
        self._clock = clock
        self._working = asyncio.Semaphore(max_working)
        self._tails: dict[int, asyncio.Future[None]] = {}
        self._turn = turn
        self.handle_json: Callable[[str], Awaitable[Any]] | None = None
        self.in_hand: set[int | None] = set()  # update IDs in this process's hands (recovery skips them)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key, reset = update_key(update), _ARRIVED.set(self._clock())
        update_id = update.update_id if isinstance(update, Update) else None
        self.in_hand.add(update_id)
        try:
            await self._in_order(key, update, coroutine)
        finally:
            self.in_hand.discard(update_id)
            _ARRIVED.reset(reset)

    async def _in_order(self, key: int | None, update: object, coroutine: Awaitable[Any]) -> None:
        if key is None:
            async with self._working:
                await self._in_turn(None, update, coroutine)
            return
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._working:
                await self._in_turn(key, update, coroutine)
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def _in_turn(self, key: int | None, update: object, coroutine: Awaitable[Any]) -> None:
        if self._turn is None or not isinstance(update, Update):
            await self._timed(update, coroutine)
            return
        mine, started = update.update_id, False
        try:
            while True:  # the chat's older updates left behind by another process first, then this one
                async with self._turn(key) as turn:
                    pending = await turn.next_update(key, mine)
                    if pending is None:
                        log.info("update %s was handled already", mine)
                        return
                    if pending.adopted and not await turn.take_over(pending):
                        log.error("update %s given up: its handling never completed", pending.update_id)
                    elif pending.update_id == mine:
                        started = True
                        await self._timed(mine, coroutine)
                    else:
                        await self._timed(pending.update_id, self._adopt(pending.body))
                    await turn.handled(pending.update_id)
                if pending.update_id == mine:
                    return
        finally:
            if not started:
                coroutine.close()  # type: ignore[attr-defined]

    def _adopt(self, body: str) -> Awaitable[Any]:
        """The handling of an update accepted elsewhere, from its JSON in the inbox."""
        if self.handle_json is None:
            raise RuntimeError("the processor has no application to handle adopted updates")
        return self.handle_json(body)

    @staticmethod
    async def _timed(update: object, coroutine: Awaitable[Any]) -> None:
        """One INFO line per update: its ID, the handlers that ran, how long it took (no personal data)."""
        started, names = time.perf_counter(), []
        reset = _HANDLED_BY.set(names)
        try:
            await coroutine
        finally:
            _HANDLED_BY.reset(reset)
            update_id = update.update_id if isinstance(update, Update) else update
            milliseconds = (time.perf_counter() - started) * 1000
            log.info("handled update %s by %s in %.1f ms", update_id, "+".join(names) or "-", milliseconds)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
