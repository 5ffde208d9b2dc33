"""The one send path: every Bot API call the application makes waits here for its turn.

`SendPath` is PTB's `BaseRateLimiter`, installed on the Application (bot/app.py), so interactive
replies, edits, the outbox's cards, notices and relays, broadcasts and progress edits all pass through
the same gate. It keeps Telegram's three limits (Bots FAQ; PTB wiki Avoiding-flood-limits):

- a private chat: about one message a second, with a short burst (token bucket);
- a group: 20 messages a minute;
- the bot as a whole: about 30 messages a second.

Calls wait in one queue ordered by priority (lower first), then by arrival. A call may go when its
chat has room and the overall bucket has a token; the best call whose chat has room always gets the
next overall token, so a broadcast never holds an interactive reply back by more than one slot.
A caller names its priority with PTB's `rate_limit_args=Lane(priority)` (the outbox passes its row's
priority); a call without one is an interactive reply and goes first.

On 429 the chat is paused for `retry_after` and the same request is sent again, up to
`max_retries` times: a 429 means Telegram did not deliver it, so resending never duplicates.

Why not PTB's AIORateLimiter: it has no per-private-chat limit, no priorities (a broadcast queued
first delays everybody's replies behind it), and with retries on a 429 it pauses every request.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.store.outbox import INTERACTIVE

log = logging.getLogger(__name__)

# Calls with a chat_id that Telegram does not count as sending to the chat.
_FREE = frozenset({"getChat", "getChatMember", "getChatAdministrators", "getChatMemberCount", "getUpdates"})
_PRUNE_AT = 10_000  # chat buckets kept before the full ones are forgotten
_MARGIN = 0.001  # seconds


@dataclass(frozen=True)
class Lane:
    """`rate_limit_args` of a call: its priority (lower goes first; see bot/store/outbox.py)."""

    priority: int


@dataclass(frozen=True)
class Limits:
    """Telegram's send limits; the defaults are the Bots FAQ's. None switches a limit off (an
    emulator with raised limits, for CPU benchmarks)."""

    private_per_second: float | None = 1.0
    private_burst: int = 3
    group_per_minute: int | None = 20
    overall_per_second: float | None = 30.0
    # Sent back to back after a quiet spell: below Telegram's 30, because requests leave together
    # but arrive with different delays, and the later ones must not find Telegram's bucket empty.
    overall_burst: int = 25
    # Waiting for a chat's next token lasts this much longer than exact, for the same reason: the
    # request that opened the chat's bucket at Telegram may have arrived later than it left.
    chat_margin: float = 0.05
    max_retries: int = 5  # 429s on one call before its RetryAfter reaches the caller


NO_LIMITS = Limits(private_per_second=None, group_per_minute=None, overall_per_second=None)


class _Bucket:
    """`rate` tokens a second, at most `capacity` at once."""

    def __init__(self, rate: float, capacity: float, now: float, margin: float = 0.0) -> None:
        self.rate, self.capacity, self.tokens, self.stamp = rate, capacity, capacity, now
        self.margin = margin + _MARGIN

    def delay(self, now: float) -> float:
        """Refill, then the seconds until one token is there (0 if now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        # A millisecond more than exact: a float a hair under 1 would otherwise ask for a wait too
        # short to move the clock (the dispatcher would spin), and Telegram's own bucket, counted on
        # its side of the wire, must be sure to hold the token too.
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate + self.margin


class _Unlimited(_Bucket):
    """A limit switched off: always a token."""

    def __init__(self) -> None:
        super().__init__(1.0, 1.0, 0.0)

    def delay(self, now: float) -> float:
        self.tokens = 2.0
        return 0.0


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    chat: int | str = field(compare=False)
    turn: asyncio.Future[None] = field(compare=False)


class SendPath(BaseRateLimiter[Lane]):
    """Telegram's limits for every call, in priority order, with 429s waited out and sent again."""

    def __init__(
        self,
        limits: Limits = Limits(),
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._clock, self._sleep = clock, sleep
        overall = limits.overall_per_second
        self._overall = _Bucket(overall, limits.overall_burst, clock()) if overall else _Unlimited()
        self._chats: dict[int | str, _Bucket] = {}
        self._paused: dict[int | str, float] = {}  # chat -> no sends before this (after a 429)
        self._waiting: list[_Waiter] = []  # sorted: priority, then arrival
        self._seq = itertools.count()
        self._changed = asyncio.Event()
        self._dispatcher: asyncio.Task | None = None
        self.retried = 0  # 429s waited out and sent again (for benchmarks)

    def share(self, processes: int) -> None:
        """Several processes send for one bot (PostgreSQL, webhook mode): each keeps 1/n of the
        overall limit, so together they stay under Telegram's 30 a second."""
        overall, processes = self.limits.overall_per_second, max(1, processes)
        if overall and not isinstance(self._overall, _Unlimited):
            self._overall.delay(self._clock())  # refill at the old rate up to now
            self._overall.rate = overall / processes
            self._overall.capacity = max(1.0, self.limits.overall_burst / processes)
            self._overall.tokens = min(self._overall.tokens, self._overall.capacity)

    @property
    def clock(self) -> Callable[[], float]:
        """The clock the limits are kept on (the emulator's in tests)."""
        return self._clock

    async def initialize(self) -> None:
        """Nothing to open: the dispatcher starts with the first call."""

    async def shutdown(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Lane | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        if chat is None or endpoint in _FREE:  # e.g. answerCallbackQuery: not a message to a chat
            return await callback(*args, **kwargs)
        with contextlib.suppress(ValueError, TypeError):
            chat = int(chat)
        priority = rate_limit_args.priority if isinstance(rate_limit_args, Lane) else INTERACTIVE
        for attempt in itertools.count():
            if self.limits != NO_LIMITS:  # no queue at all when every limit is off (CPU benchmarks)
                await self._turn(chat, priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= self.limits.max_retries:
                    raise
                self._pause(chat, exc.retry_after)
                log.warning("%s to chat %s: 429, sending again after %s s", endpoint, chat, exc.retry_after)
        raise AssertionError("unreachable")

    # ---- the queue ---------------------------------------------------------------------

    async def _turn(self, chat: int | str, priority: int) -> None:
        """Wait until this call may go out (the tokens are taken for it)."""
        waiter = _Waiter(priority, next(self._seq), chat, asyncio.get_running_loop().create_future())
        bisect.insort(self._waiting, waiter)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="send-path")
        self._changed.set()
        try:
            await waiter.turn
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                self._waiting.remove(waiter)
            raise

    async def _dispatch(self) -> None:
        while True:
            self._changed.clear()
            delay = self._grant(self._clock())
            if delay is None:
                await self._changed.wait()
            elif delay > 0:
                await self._wait(delay)

    def _grant(self, now: float) -> float | None:
        """Let every call go that may go now, best first; the seconds until the next may (None: no
        call waits). A call whose chat has room but no overall token stops the scan: nobody behind
        it may take the token it is waiting for."""
        soonest: float | None = None
        index = 0
        while index < len(self._waiting):
            waiter = self._waiting[index]
            if waiter.turn.done():  # cancelled meanwhile
                del self._waiting[index]
                continue
            bucket = self._bucket(waiter.chat, now)
            chat_delay = max(bucket.delay(now), self._paused.get(waiter.chat, 0.0) - now)
            if chat_delay > 0:
                soonest = chat_delay if soonest is None else min(soonest, chat_delay)
                index += 1
                continue
            overall_delay = self._overall.delay(now)
            if overall_delay > 0:
                return overall_delay if soonest is None else min(soonest, overall_delay)
            bucket.tokens -= 1
            self._overall.tokens -= 1
            del self._waiting[index]
            waiter.turn.set_result(None)
        if len(self._chats) > _PRUNE_AT:
            self._prune(now)
        return soonest

    async def _wait(self, delay: float) -> None:
        """Sleep `delay` seconds, or less if another call arrives."""
        await first_of(self._sleep(delay), self._changed.wait())

    def _bucket(self, chat: int | str, now: float) -> _Bucket:
        bucket = self._chats.get(chat)
        if bucket is None:
            limits = self.limits
            if _is_group(chat):
                per_minute = limits.group_per_minute
                bucket = _Bucket(per_minute / 60, per_minute, now, limits.chat_margin) if per_minute else None
            else:
                rate = limits.private_per_second
                bucket = _Bucket(rate, limits.private_burst, now, limits.chat_margin) if rate else None
            self._chats[chat] = bucket = bucket or _Unlimited()
        return bucket

    def _pause(self, chat: int | str, retry_after: int | timedelta) -> None:
        """Telegram said 429: nothing more to this chat for `retry_after`, and no burst right after."""
        seconds = retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
        now = self._clock()
        self._paused[chat] = max(self._paused.get(chat, 0.0), now + seconds + _MARGIN)
        self._overall.delay(now)
        self._overall.tokens = min(self._overall.tokens, 1.0)
        self.retried += 1

    def _prune(self, now: float) -> None:
        """Forget chats whose bucket is full again and not paused: a new bucket is the same."""
        for chat, bucket in list(self._chats.items()):
            bucket.delay(now)
            if bucket.tokens >= bucket.capacity and self._paused.get(chat, 0.0) <= now:
                del self._chats[chat]
                self._paused.pop(chat, None)


def lane(bot: object, priority: int) -> dict[str, Lane]:
    """The keyword that sends a call at `priority` through the bot's send path (none without one:
    PTB refuses rate_limit_args on a bot without a rate limiter)."""
    limited = isinstance(getattr(bot, "rate_limiter", None), SendPath)
    return {"rate_limit_args": Lane(priority)} if limited else {}


async def first_of(*waits: Awaitable[Any]) -> None:
    """Wait until the first of `waits` is done (e.g. a sleep or an event), then cancel the rest and
    let them finish, so no task outlives the wait (also when the waiter itself is cancelled)."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _is_group(chat: int | str) -> bool:
    """A group or channel: a negative id or an @username."""
    return isinstance(chat, str) or chat < 0
