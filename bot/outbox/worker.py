"""The outbox worker: sends every queued message once, paced below Telegram's limits.

Each row is sent with the typed Bot method of its name, `bot.sendMessage(chat_id=…, **payload)`,
not with `bot.do_api_request`: in PTB 22.8 do_api_request emits a PTBUserWarning for every method
the Bot already has ("Please use 'Bot.sendMessage' instead") and skips the application's Defaults
(HTML, no link previews). Dict values such as `reply_markup` pass through unchanged; payload keys the
method does not know go in `api_kwargs`. The result comes back as a PTB object: hooks get its
`to_dict()`, and the row keeps {"message_id", "chat_id", "date"}.

A row is marked 'sending' before its request and 'sent' right after, so a crash in between leaves
it 'sending', and the next start marks it 'unknown' instead of sending it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from telegram import Bot, TelegramObject
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.outbox.limiter import first_of, lane
from bot.store import Store
from bot.store.outbox import OutboxRow

log = logging.getLogger(__name__)

SentHook = Callable[[OutboxRow, Any], Awaitable[None]]
FailedHook = Callable[[OutboxRow, str], Awaitable[None]]
SHUTDOWN_GRACE = 5.0  # real seconds that requests in flight may finish in when the worker stops
ERROR_PAUSE = 5.0  # seconds before the loop tries again after an unexpected error


@dataclass(frozen=True)
class Pacing:
    """How fast the worker sends (Bots FAQ limits, with headroom for interactive replies)."""

    overall_per_second: float = 25.0  # BROADCAST_RATE
    overall_burst: int = 5  # sends allowed back to back after a quiet spell
    private_interval: float = 1.0  # seconds between two sends to one private chat
    group_per_minute: int = 20  # sends to one group (negative id) in any 60 seconds
    concurrency: int = 8  # requests in flight at once
    max_attempts: int = 5  # network errors before a row fails
    backoff: float = 2.0  # first retry after a network error, doubling each time ...
    backoff_max: float = 300.0  # ... up to this
    flood_slowdown: float = 0.5  # after a 429 the overall rate is multiplied by this ...
    flood_recovery: float = 60.0  # ... until this long after the wait
    idle_poll: float = 30.0  # real seconds between looks at an idle queue (wake() is immediate)


class _Bucket:
    """Token bucket: `rate` sends per second, at most `capacity` back to back."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity, self.tokens, self.stamp = rate, capacity, capacity, now

    def delay(self, now: float) -> float:
        """Refill, then the seconds until one token is there (0 if now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate


class _ChatPacer:
    """When each chat may get its next message: `private_interval` apart in a private chat, at most
    `group_per_minute` in any minute in a group. Times are those of finished requests, which
    Telegram saw earlier, so its view is never tighter than ours."""

    def __init__(self, pacing: Pacing) -> None:
        self._interval = pacing.private_interval
        self._per_minute = pacing.group_per_minute
        self._private: dict[int, float] = {}  # chat -> ready at
        self._groups: dict[int, deque[float]] = {}  # chat -> finish times in the last minute

    def ready_at(self, chat_id: int, now: float) -> float:
        if chat_id > 0:
            return self._private.get(chat_id, now)
        window = self._groups.get(chat_id)
        return window[0] + 60 if window and len(window) >= self._per_minute else now

    def sent(self, chat_id: int, now: float) -> None:
        if chat_id > 0:
            self._private[chat_id] = now + self._interval
            return
        window = self._groups.setdefault(chat_id, deque())
        window.append(now)
        while len(window) > self._per_minute:
            window.popleft()

    def waiting(self, now: float) -> dict[int, float]:
        """Every chat that is not ready now, with when it will be (and forget the others)."""
        self._private = {chat: at for chat, at in self._private.items() if at > now}
        for chat, window in list(self._groups.items()):
            while window and window[0] + 60 <= now:
                window.popleft()
            if not window:
                del self._groups[chat]
        waiting = dict(self._private)
        waiting.update({chat: self.ready_at(chat, now) for chat in self._groups})
        return {chat: at for chat, at in waiting.items() if at > now}


class Outbox:
    """Sends the outbox table's rows: priorities, pacing, retries, and hooks for the results."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        *,
        pacing: Pacing,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.bot, self.store, self.pacing = bot, store, pacing
        self._clock, self._sleep = clock, sleep
        self.on_sent: dict[str, SentHook] = {}  # by row.kind
        self.on_failed: dict[str, FailedHook] = {}  # by row.kind; "" for kinds without their own
        self.on_blocked: Callable[[int], Awaitable[None]] | None = None  # user id
        self.on_migrated: Callable[[int, int], Awaitable[None]] | None = None  # old, new chat id
        self._pacer = _ChatPacer(pacing)
        self._bucket = _Bucket(pacing.overall_per_second, pacing.overall_burst, clock())
        self._slots = asyncio.Semaphore(pacing.concurrency)
        self._wakeup = asyncio.Event()  # a row was enqueued
        self._progress = asyncio.Event()  # a request finished
        self._sending: dict[int, asyncio.Task] = {}  # row id -> its task
        self._busy_chats: set[int] = set()
        self._pause_until = 0.0  # flood wait: nothing is sent before this
        self._slowdown = 1.0  # overall rate factor after a 429 ...
        self._slow_until = 0.0  # ... until this
        self._methods: dict[str, tuple[Callable[..., Awaitable[Any]], frozenset[str]]] = {}

    # ---- the loop ------------------------------------------------------------------------

    async def run(self) -> None:
        """Send due rows until cancelled; rows a crash left 'sending' become 'unknown' first."""
        recovered = await self.store.recover_after_crash()
        if recovered:
            log.warning("outbox: %d rows were being sent when the bot stopped; marked unknown", recovered)
        try:
            while True:
                try:
                    await self._step()
                except Exception:  # e.g. the database is locked: the worker must not die
                    log.exception("outbox: the send loop failed; trying again in %.0f s", ERROR_PAUSE)
                    await self._sleep(ERROR_PAUSE)
        finally:
            await self._settle()

    def wake(self) -> None:
        """A row was enqueued: look at the queue now (and let a notice overtake a broadcast)."""
        self._wakeup.set()

    async def drain(self, timeout: float) -> None:
        """Return once nothing is in flight, no flood wait is on and no pending row is due (rows
        scheduled for later do not count); TimeoutError after `timeout` real seconds."""
        async with asyncio.timeout(timeout):
            while self._sending or self._pause_until > self._clock() or await self.store.has_due_outbox():
                await asyncio.sleep(0.001)

    async def _step(self) -> None:
        """One batch: the due rows of ready chats, in priority order, each as the pacing allows."""
        self._wakeup.clear()
        self._progress.clear()
        await self._wait(lambda now: self._pause_until - now)
        skip = self._busy_chats | set(self._pacer.waiting(self._clock()))
        rows = await self.store.due_outbox(self._batch_size(), skip_chats=skip)
        if not rows:
            await self._idle()
            return
        for row in rows:
            if self._wakeup.is_set():
                return  # the new row may outrank the rest of this batch
            if not self._ready(row.chat_id):
                continue  # an earlier row of this batch went to the same chat
            await self._slots.acquire()
            await self._wait(self._overall_delay)
            if self._wakeup.is_set():
                self._slots.release()
                return
            self._bucket.tokens -= 1
            self._start(row)

    def _ready(self, chat_id: int) -> bool:
        now = self._clock()
        return chat_id not in self._busy_chats and self._pacer.ready_at(chat_id, now) <= now

    def _batch_size(self) -> int:
        return min(500, max(self.pacing.concurrency, math.ceil(self.pacing.overall_per_second)))

    async def _wait(self, delay: Callable[[float], float]) -> None:
        while (seconds := delay(self._clock())) > 0:
            await self._sleep(seconds)

    def _overall_delay(self, now: float) -> float:
        if self._slowdown < 1 and now >= self._slow_until:
            self._slowdown = 1.0
            log.info("outbox: back to %.1f messages/s", self.pacing.overall_per_second)
        self._bucket.rate = self.pacing.overall_per_second * self._slowdown
        self._bucket.capacity = self.pacing.overall_burst if self._slowdown == 1 else 1
        return max(self._pause_until - now, self._bucket.delay(now))

    async def _idle(self) -> None:
        """Nothing to send now: wait for a new row, a finished request, or the next due time."""
        delay = await self._next_delay()
        timer = self._sleep(delay) if delay is not None else asyncio.sleep(self.pacing.idle_poll)
        await first_of(self._wakeup.wait(), self._progress.wait(), timer)

    async def _next_delay(self) -> float | None:
        now, delays = self._clock(), []
        waiting = self._pacer.waiting(now)
        if waiting and await self.store.has_due_outbox():
            delays.append(min(waiting.values()) - now)
        if await self.store.due_outbox(1, skip_chats=self._busy_chats | set(waiting)):
            delays.append(0)  # a chat's wait ended while the rows were being read: look again now
        later = await self.store.next_outbox_time()
        if later is not None:
            delays.append(later - self.store.db.now())
        return max(0.001, min(delays)) if delays else None

    def _start(self, row: OutboxRow) -> None:
        self._busy_chats.add(row.chat_id)
        self._sending[row.id] = asyncio.create_task(self._send(row), name=f"outbox-{row.id}")

    async def _send(self, row: OutboxRow) -> None:
        try:
            await self._deliver(row)
        except Exception:
            log.exception("outbox row %d %s to chat %d: unexpected error", row.id, row.method, row.chat_id)
        finally:
            self._pacer.sent(row.chat_id, self._clock())
            self._busy_chats.discard(row.chat_id)
            self._sending.pop(row.id, None)
            self._slots.release()
            self._progress.set()

    async def _settle(self) -> None:
        """On stop: let requests in flight finish briefly, so fewer rows end up 'unknown'."""
        tasks = list(self._sending.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
        for task in pending:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pending, return_exceptions=True)

    # ---- one row -------------------------------------------------------------------------

    async def _deliver(self, row: OutboxRow) -> None:
        """Claim, send and record one row; every Telegram answer ends in a row status."""
        row = await self.store.claim_outbox(row)
        if row is None:
            return
        try:
            result = await self._request(row)
        except RetryAfter as exc:
            await self._flood(row, exc.retry_after)
        except ChatMigrated as exc:
            await self._migrated(row, exc.new_chat_id)
        except Forbidden:
            await self._fail(row, "blocked", logging.INFO)
            if row.chat_id > 0 and self.on_blocked is not None:
                await self._hook(row, self.on_blocked, row.chat_id)
        except BadRequest as exc:
            not_found = "chat not found" in exc.message.lower()
            await self._fail(row, "chat not found" if not_found else exc.message)
        except TimedOut as exc:
            if "pool timeout" in exc.message.lower():  # never left this process
                await self._retry(row, exc.message)
            else:
                await self._unknown(row, f"timed out: {exc.message}")
        except NetworkError as exc:
            await self._retry(row, exc.message)
        except TelegramError as exc:
            await self._fail(row, exc.message)
        except (TypeError, ValueError) as exc:  # a payload PTB refuses: nothing was sent
            await self._fail(row, f"invalid request: {exc}")
        else:
            data = _as_json(result)
            summary = _summary(data)
            await self.store.mark_sent(row, summary)
            hook = self.on_sent.get(row.kind)
            if hook is not None:
                await self._hook(row, hook, replace(row, status="sent", result=summary), data)

    async def _request(self, row: OutboxRow) -> Any:
        method, known = self._method(row.method)
        payload = {key: value for key, value in row.payload.items() if key != "chat_id"}
        extra = {key: value for key, value in payload.items() if key not in known}
        kwargs = {key: value for key, value in payload.items() if key in known}
        return await method(
            chat_id=row.chat_id, **kwargs, api_kwargs=extra or None, **lane(self.bot, row.priority)
        )

    def _method(self, name: str) -> tuple[Callable[..., Awaitable[Any]], frozenset[str]]:
        """The Bot's camelCase API method and its keyword names (cached)."""
        if name not in self._methods:
            method = getattr(self.bot, name, None) if name.isalnum() and not name.islower() else None
            if method is None or not callable(method):
                raise ValueError(f"no Bot API method {name!r}")
            self._methods[name] = (method, frozenset(inspect.signature(method).parameters))
        return self._methods[name]

    async def _flood(self, row: OutboxRow, retry_after: int | timedelta) -> None:
        """429: pause every send for `retry_after`, slow down for a while, same row again."""
        seconds = retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
        now = self._clock()
        if now >= self._pause_until:  # several requests in flight may hit the same wait
            floor = 1 / self.pacing.overall_per_second
            self._slowdown = max(floor, self._slowdown * self.pacing.flood_slowdown)
        self._pause_until = max(self._pause_until, now + seconds)
        self._slow_until = self._pause_until + self.pacing.flood_recovery
        await self.store.reschedule(row, self.store.db.now() + math.ceil(seconds))
        log.warning(
            "outbox row %d %s to chat %d: flood control, waiting %.0f s, then %.1f messages/s",
            row.id,
            row.method,
            row.chat_id,
            seconds,
            self.pacing.overall_per_second * self._slowdown,
        )

    async def _migrated(self, row: OutboxRow, new_chat_id: int) -> None:
        """The group became a supergroup: its pending rows move to the new id and are sent there."""
        if new_chat_id == row.chat_id:
            await self._fail(row, "chat migrated to itself")
            return
        moved = await self.store.move_outbox_chat(row, new_chat_id)
        log.warning(
            "outbox row %d %s: chat %d is now %d; %d rows moved",
            row.id,
            row.method,
            row.chat_id,
            new_chat_id,
            moved,
        )
        if self.on_migrated is not None:
            await self._hook(row, self.on_migrated, row.chat_id, new_chat_id)

    async def _retry(self, row: OutboxRow, error: str) -> None:
        """A network error: try again later with exponential backoff, up to max_attempts."""
        attempts = row.attempts + 1
        reason = f"network error: {error}"
        if attempts >= self.pacing.max_attempts:
            await self._fail(replace(row, attempts=attempts), f"{reason} ({attempts} attempts)")
            return
        delay = min(self.pacing.backoff_max, self.pacing.backoff * 2 ** (attempts - 1))
        await self.store.mark_retry(row, reason, self.store.db.now() + math.ceil(delay))
        log.warning(
            "outbox row %d %s to chat %d: %s; attempt %d of %d in %.0f s",
            row.id,
            row.method,
            row.chat_id,
            reason,
            attempts + 1,
            self.pacing.max_attempts,
            delay,
        )

    async def _unknown(self, row: OutboxRow, reason: str) -> None:
        await self.store.mark_unknown(row, reason)
        log.warning(
            "outbox row %d %s to chat %d: %s; may have been delivered, not re-sent",
            row.id,
            row.method,
            row.chat_id,
            reason,
        )

    async def _fail(self, row: OutboxRow, reason: str, level: int = logging.WARNING) -> None:
        await self.store.mark_failed(row, reason, attempts=row.attempts)
        log.log(level, "outbox row %d %s to chat %d failed: %s", row.id, row.method, row.chat_id, reason)
        hook = self.on_failed.get(row.kind) or self.on_failed.get("")
        if hook is not None:
            await self._hook(row, hook, replace(row, status="failed", error=reason), reason)

    async def _hook(self, row: OutboxRow, hook: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run a hook; its failure is logged and never undoes the row's status."""
        try:
            await hook(*args)
        except Exception:
            log.exception("outbox hook %r for row %d (%s) failed", hook, row.id, row.kind)


def _as_json(result: Any) -> Any:
    """A PTB result as Bot API JSON (Message -> dict, tuple of messages -> list)."""
    if isinstance(result, TelegramObject):
        return result.to_dict()
    if isinstance(result, tuple | list):
        return [_as_json(item) for item in result]
    return result


def _summary(data: Any) -> Any:
    """What the row keeps of a result: ids and date, not the whole message again."""
    if isinstance(data, list):
        return [_summary(item) for item in data]
    if isinstance(data, dict) and "message_id" in data:
        chat = data.get("chat") or {}
        return {"message_id": data["message_id"], "chat_id": chat.get("id"), "date": data.get("date")}
    return data
