"""Token buckets (rate limits and event budgets), judged by the injected clock so tests
refill them by moving time.

Each budget is a ``TokenBuckets``: ``capacity`` tokens per key, refilled evenly over
``per_seconds``. Where the tokens are kept is the app's ``LimitStore``: in this process's
memory (SQLite, the embedded single-process setup: a dict lookup and some arithmetic), or
in PostgreSQL once the app's engine is on it (``app/core/sharedlimits.py``: one atomic
UPSERT per check), so every process behind a balancer, and a restarted one, spends from
the same budget. Every refusal is a ``RateLimited`` that says how long to wait.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Protocol

from app.core.clock import Clock
from app.core.errors import RateLimited


class BucketBackend(Protocol):
    async def take(
        self, bucket: str, key: str, cost: float, capacity: float, rate: float, now: float
    ) -> float | None:
        """Takes ``cost`` tokens if there; None when taken, else the tokens there are."""

    async def level(
        self, bucket: str, key: str, capacity: float, rate: float, now: float
    ) -> float: ...

    async def charge(
        self, bucket: str, key: str, cost: float, capacity: float, rate: float, now: float
    ) -> None: ...


class MemoryBackend:
    """Per process; the least recently seen keys are dropped beyond ``max_keys`` (a
    dropped client starts again with a full bucket)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys

    def _level(self, slot: tuple[str, str], capacity: float, rate: float, now: float) -> float:
        tokens, at = self._buckets.get(slot, (capacity, now))
        return min(capacity, tokens + max(0.0, now - at) * rate)

    def _store(self, slot: tuple[str, str], tokens: float, now: float) -> None:
        self._buckets[slot] = (tokens, now)
        self._buckets.move_to_end(slot)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)

    async def take(
        self, bucket: str, key: str, cost: float, capacity: float, rate: float, now: float
    ) -> float | None:
        slot = (bucket, key)
        tokens = self._level(slot, capacity, rate, now)
        if tokens < cost:
            return tokens
        self._store(slot, tokens - cost, now)
        return None

    async def level(self, bucket: str, key: str, capacity: float, rate: float, now: float) -> float:
        return self._level((bucket, key), capacity, rate, now)

    async def charge(
        self, bucket: str, key: str, cost: float, capacity: float, rate: float, now: float
    ) -> None:
        slot = (bucket, key)
        self._store(slot, max(0.0, self._level(slot, capacity, rate, now) - cost), now)


class LimitStore:
    """Where the app's buckets keep their tokens; memory until ``use`` is given a shared
    backend (the app does so when its engine is on PostgreSQL)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.backend: BucketBackend = MemoryBackend()

    def use(self, backend: BucketBackend) -> None:
        self.backend = backend


class TokenBuckets:
    def __init__(
        self, store: LimitStore, name: str, *, capacity: float, per_seconds: float
    ) -> None:
        self._store = store
        self.name = name
        self.capacity = capacity
        self.rate = capacity / per_seconds

    def _now(self) -> float:
        return self._store.clock.now().timestamp()

    def _seconds_for(self, missing: float) -> int:
        """Whole seconds until ``missing`` tokens have come back (at least 1)."""
        return max(1, math.ceil(missing / self.rate - 1e-9))

    async def take(self, key: str, cost: float = 1.0) -> None:
        """Takes ``cost`` tokens, or refuses with the wait until they are there."""
        if cost > self.capacity:
            raise RateLimited(
                "This asks for more than the whole budget.",
                retry_after=self._seconds_for(self.capacity),
            )
        short = await self._store.backend.take(
            self.name, key, cost, self.capacity, self.rate, self._now()
        )
        if short is not None:
            retry = self._seconds_for(cost - short)
            raise RateLimited(
                f"Too many requests; try again in {retry} seconds.", retry_after=retry
            )

    async def wait(self, key: str, cost: float = 1.0) -> int:
        """Seconds until ``cost`` tokens are there (0: now), without taking them."""
        level = await self._store.backend.level(
            self.name, key, self.capacity, self.rate, self._now()
        )
        return 0 if level >= cost else self._seconds_for(cost - level)

    async def charge(self, key: str, cost: float = 1.0) -> None:
        """Takes what is there, down to zero (a miss already answered still counts)."""
        await self._store.backend.charge(
            self.name, key, cost, self.capacity, self.rate, self._now()
        )

    async def give_back(self, key: str, cost: float = 1.0) -> None:
        """Returns tokens taken for something that did not happen: a negative charge.
        Levels are capped at the capacity when read, so it never makes more than that."""
        await self._store.backend.charge(
            self.name, key, -cost, self.capacity, self.rate, self._now()
        )
