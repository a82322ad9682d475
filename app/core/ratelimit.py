"""Token buckets in memory, per process: cheap enough for hot paths (a dict lookup and
some arithmetic), judged by the injected clock so tests can refill them by moving time.
Used by public verification and by the proctoring events route. With N processes behind
a balancer a client gets up to N times the budget; the enumeration budget is still far
below what guessing 80-bit IDs needs."""

from __future__ import annotations

from collections import OrderedDict

from app.core.clock import Clock
from app.core.errors import RateLimited


class TokenBuckets:
    def __init__(
        self, clock: Clock, *, capacity: float, per_seconds: float, max_keys: int = 100_000
    ) -> None:
        self._clock = clock
        self._capacity = capacity
        self._rate = capacity / per_seconds
        self._per_seconds = per_seconds
        # key -> (tokens, at); least recently seen first, dropped beyond max_keys (a
        # dropped client just starts again with a full bucket).
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self._capacity, now))
        return min(self._capacity, tokens + (now - at) * self._rate)

    def allows(self, key: str, cost: float = 1.0) -> bool:
        """Whether ``cost`` tokens are there, without taking them."""
        return self._level(key, self._clock.now().timestamp()) >= cost

    def take(self, key: str, cost: float = 1.0) -> None:
        now = self._clock.now().timestamp()
        tokens = self._level(key, now)
        if tokens < cost:
            retry = max(1, int((cost - tokens) / self._rate) + 1)
            raise RateLimited(
                f"Too many requests; try again in {retry} seconds.", retry_after=retry
            )
        self._buckets[key] = (tokens - cost, now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)

    def charge(self, key: str, cost: float = 1.0) -> None:
        """Takes what is there, down to zero (a miss already answered still counts)."""
        now = self._clock.now().timestamp()
        self._buckets[key] = (max(0.0, self._level(key, now) - cost), now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
