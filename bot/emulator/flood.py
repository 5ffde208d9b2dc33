"""Telegram-like flood control: token buckets per private chat, per group and overall."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .errors import ApiError


@dataclass(frozen=True)
class FloodLimits:
    """Send limits (Bots FAQ); ``None`` for a field switches that bucket off."""

    private_per_second: float | None = 1.0
    private_burst: int = 4
    group_per_minute: float | None = 20
    overall_per_second: float | None = 30.0


@dataclass
class _Bucket:
    capacity: float
    rate: float
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Refill, then return the seconds until one token is available (0 if now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class FloodControl:
    """Answers 429 with ``retry_after`` once a chat or the bot sends too fast."""

    def __init__(self, limits: FloodLimits | None, clock: Callable[[], float]):
        self.limits = limits
        self._clock = clock
        self._buckets: dict[object, _Bucket] = {}

    def check(self, chat_id: int, is_group: bool) -> None:
        """Take one send from every bucket that applies, or raise the 429."""
        if self.limits is None:
            return
        now = self._clock()
        buckets = [b for b in (self._overall(now), self._chat(chat_id, is_group, now)) if b]
        wait = max((b.wait(now) for b in buckets), default=0.0)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        for bucket in buckets:
            bucket.tokens -= 1

    def _overall(self, now: float) -> _Bucket | None:
        rate = self.limits.overall_per_second
        return self._bucket("overall", rate, rate, now) if rate else None

    def _chat(self, chat_id: int, is_group: bool, now: float) -> _Bucket | None:
        if is_group:
            per_minute = self.limits.group_per_minute
            return self._bucket(chat_id, per_minute, per_minute / 60, now) if per_minute else None
        rate = self.limits.private_per_second
        return self._bucket(chat_id, self.limits.private_burst, rate, now) if rate else None

    def _bucket(self, key: object, capacity: float, rate: float, now: float) -> _Bucket:
        if key not in self._buckets:
            self._buckets[key] = _Bucket(capacity, rate, capacity, now)
        return self._buckets[key]
