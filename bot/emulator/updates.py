"""Telegram's update queue: getUpdates offsets, long polling, conflicts, webhook hand-off."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from .errors import CONFLICT_POLLER, ApiError

# An empty or missing allowed_updates means every type except these (Bot API getUpdates).
_OPT_IN = {"chat_member", "message_reaction", "message_reaction_count"}


@dataclass(eq=False)
class _Poll:
    epoch: int
    conflicted: bool = False


def update_type(update: dict[str, Any]) -> str:
    """The update's kind, e.g. "message" or "callback_query"."""
    return next(key for key in update if key != "update_id")


class UpdateFeed:
    """Pending updates, kept until confirmed by an offset or a webhook delivery.

    Hold times of long polls are real seconds (asyncio), whatever clock the emulator uses.
    """

    def __init__(self, conflict_grace: float = 0.1):
        self.conflict_grace = conflict_grace
        self.history: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.allowed_updates: list[str] | None = None
        self._next_id = 1
        self._polls: list[_Poll] = []
        self._epoch = 0
        self._event = asyncio.Event()

    def create(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A new update with the next update_id, recorded in ``history``."""
        update = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self.history.append(update)
        return update

    def enqueue(self, update: dict[str, Any]) -> None:
        self.pending.append(update)
        self.notify()

    def confirm(self, offset: int) -> None:
        """Forget updates below a positive offset; a negative one keeps only the last -offset."""
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]
        self.notify()

    def remove(self, update: dict[str, Any]) -> None:
        """Confirm one update (delivered to the webhook)."""
        self.pending = [u for u in self.pending if u is not update]
        self.notify()

    def drop_all(self) -> None:
        self.pending.clear()
        self.notify()

    @property
    def polling(self) -> bool:
        return bool(self._polls)

    async def poll(
        self, offset: int, limit: int, timeout: float, allowed: list[str] | None
    ) -> list[dict[str, Any]]:
        """getUpdates: confirm, supersede an older poller, then hold up to ``timeout`` s."""
        if allowed is not None:
            self.allowed_updates = list(allowed)
        self.confirm(offset)
        me = _Poll(self._epoch)
        await self._supersede()
        self._polls.append(me)
        self.notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if me.conflicted:
                    raise ApiError(409, CONFLICT_POLLER)
                batch = self.ready()[:limit]
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or me.epoch != self._epoch:
                    return batch
                await self.changed(remaining)
        finally:
            self._polls.remove(me)
            self.notify()

    async def _supersede(self) -> None:
        """Give an older poller a grace period to vanish (a closed connection), else 409 it."""
        older = list(self._polls)
        if not older:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.conflict_grace
        while any(p in self._polls for p in older) and deadline > loop.time():
            await self.changed(deadline - loop.time())
        for poll in older:
            poll.conflicted = True
        self.notify()

    def ready(self) -> list[dict[str, Any]]:
        """Pending updates the bot asked for; others are dropped as Telegram never sends them."""
        allowed = set(self.allowed_updates or ()) or None
        keep = [u for u in self.pending if _wanted(update_type(u), allowed)]
        if len(keep) != len(self.pending):
            self.pending = keep
        return list(keep)

    def release(self) -> None:
        """Answer every held poll now (server shutdown)."""
        self._epoch += 1
        self.notify()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def changed(self, timeout: float) -> None:
        """Wait until something changes, at most ``timeout`` real seconds."""
        event = self._event
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(timeout, 0)):
                await event.wait()


def _wanted(kind: str, allowed: set[str] | None) -> bool:
    return kind not in _OPT_IN if allowed is None else kind in allowed
