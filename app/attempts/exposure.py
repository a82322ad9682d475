"""Item exposure without an aggregate over history per start.

A start records its attempt in a backlog (``exposure_pending``: a new row, so thousands
of simultaneous starts never wait on one another); the background pass folds the
backlog into per-item counters (``item_exposure``), each attempt exactly once; every
process keeps a copy of the counters, read again at most every
``ASSAY_EXPOSURE_REFRESH_SECONDS``. Assembly balances on that snapshot: a few seconds
stale, which only matters for items drawn within those seconds, and the seeded shuffle
already spreads those."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.exposure_repository import ExposureRepository
from app.core.db import session_scope

FOLD_BATCH = 1000


class ExposureCache:
    """This process's copy of the counters. One refresh runs at a time; starts that
    arrive meanwhile use the previous copy (only the very first waits for it)."""

    def __init__(self, max_age: timedelta) -> None:
        self.max_age = max_age
        self._snapshot: Mapping[str, int] | None = None
        self._read_at: datetime | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._read_at = None

    def _fresh(self, now: datetime) -> bool:
        return self._read_at is not None and now - self._read_at < self.max_age

    async def snapshot(self, session: AsyncSession, now: datetime) -> Mapping[str, int]:
        if self._snapshot is not None and (self._fresh(now) or self._lock.locked()):
            return self._snapshot
        async with self._lock:
            if self._snapshot is None or not self._fresh(now):
                counters = await ExposureRepository(session).counters()
                self._snapshot = MappingProxyType(counters)
                self._read_at = now
            return self._snapshot


async def fold_exposure(
    sessionmaker: async_sessionmaker[AsyncSession], *, batch: int = FOLD_BATCH
) -> int:
    """Moves the backlog into the counters, one transaction per batch, and returns how
    many attempts it counted. Taking an attempt off the backlog and counting it commit
    together, so an attempt is counted once however often (and wherever) this runs."""
    folded = 0
    while True:
        async with session_scope(sessionmaker) as session:
            repo = ExposureRepository(session)
            attempt_ids = await repo.take_pending(batch)
            await repo.add_shown(await repo.shown_on(attempt_ids))
        folded += len(attempt_ids)
        if len(attempt_ids) < batch:
            return folded
