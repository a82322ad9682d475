"""Which sign-ins are still good: the ``sessions`` rows behind access tokens.

An access token names its session (the ``sid`` claim). A token is accepted only while
its session is neither revoked (sign-out; a password change revokes all of a user's)
nor gone (deleting a user deletes its sessions), and its user exists. Two ways to ask:

- ``check`` reads the row every time: every route but the hot ones (one indexed
  lookup, beside the request's own work), and keeps what it read for the other way;
- ``check_cached``, for the hot paths (autosave, the exam page's state and item reads,
  which every candidate of a sitting asks at its start, and starts and check-ins, asked
  again while in the admission line): a per-process cache of
  good sessions that no change reaches late, as the verification cache
  (``certificates/lookup.py``):
  on PostgreSQL a trigger announces every update or delete of a session (migration
  5e1d2c3b4a69) and each process's feed evicts it at once, entries then living
  ``pushed_ttl`` seconds; without a feed (SQLite, or while it reconnects) changes made
  through this process evict at once and other processes' (the CLI) show within
  ``ttl`` seconds. A lookup that overlapped an eviction is not kept.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.changes import ChangeFeed
from app.core.clock import Clock
from app.core.db import DriverPool, driver_statement
from app.identity.models import Session, User

CHANGES_CHANNEL = "assay_session_changes"
_TRIGGER_INSTALLED = (
    "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'sessions_changed' "
    "AND tgrelid = 'sessions'::regclass)"
)

# The session's user and the row's expiry, when the session is good: not revoked, and
# its user still there.
_GOOD = (
    select(Session.user_id, Session.expires_at)
    .join(User, User.id == Session.user_id)
    .where(and_(Session.id == bindparam("sid"), Session.revoked_at.is_(None)))
)
_PG_GOOD, _ = driver_statement(_GOOD)


class SessionCheck:
    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        *,
        ttl: float,
        pushed_ttl: float,
        driver: DriverPool | None = None,
        max_entries: int = 100_000,
    ) -> None:
        self._engine = engine
        self._driver = driver
        self._clock = clock
        self._ttl = ttl
        self._pushed_ttl = pushed_ttl
        self._max_entries = max_entries
        # sid -> (cached until, user id, session expiry), as epoch seconds.
        self._cache: OrderedDict[uuid.UUID, tuple[float, uuid.UUID, float]] = OrderedDict()
        self._evictions = 0
        self.feed: ChangeFeed | None = None
        if driver is not None and ttl > 0:
            self.feed = ChangeFeed(
                driver.dsn,
                CHANGES_CHANNEL,
                on_change=self._heard,
                on_reset=self.clear,
                requires=_TRIGGER_INSTALLED,
            )

    async def check(self, sid: uuid.UUID, user_id: uuid.UUID) -> bool:
        """Whether the session is good for this user now, from the database. What it
        read is kept for ``check_cached`` too (a candidate's check-in, then the exam
        page's hot routes: one read between them)."""
        return await self._check_and_keep(sid, user_id, self._clock.now().timestamp())

    async def check_cached(self, sid: uuid.UUID, user_id: uuid.UUID) -> bool:
        now = self._clock.now().timestamp()
        hit = self._cache.get(sid)
        if hit is not None and hit[0] > now:
            return hit[1] == user_id and hit[2] > now
        return await self._check_and_keep(sid, user_id, now)

    async def _check_and_keep(self, sid: uuid.UUID, user_id: uuid.UUID, now: float) -> bool:
        evictions = self._evictions
        found = await self._read(sid)
        if found is None:
            self._cache.pop(sid, None)
            return False
        if evictions == self._evictions and self._ttl > 0:
            pushed = self.feed is not None and self.feed.up
            until = now + (self._pushed_ttl if pushed else self._ttl)
            self._cache[sid] = (until, found[0], found[1])
            self._cache.move_to_end(sid)
            if len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        return found[0] == user_id and found[1] > now

    async def _read(self, sid: uuid.UUID) -> tuple[uuid.UUID, float] | None:
        row: Any
        if self._driver is not None:
            row = await self._driver.fetchrow(_PG_GOOD, sid)
        else:
            async with self._engine.connect() as conn:
                row = (await conn.execute(_GOOD, {"sid": sid})).first()
        if row is None:
            return None
        user_id: uuid.UUID = row[0]
        return user_id, row[1].timestamp()

    def _heard(self, payload: str) -> None:
        try:
            self.forget(uuid.UUID(payload))
        except ValueError:
            self.clear()

    def forget(self, *sids: uuid.UUID) -> None:
        self._evictions += 1
        for sid in sids:
            self._cache.pop(sid, None)

    def clear(self) -> None:
        self._evictions += 1
        self._cache.clear()
