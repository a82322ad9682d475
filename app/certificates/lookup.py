"""The public verification read path: one indexed ``SELECT`` (through asyncpg's pool on
PostgreSQL, a Core statement on the autocommit engine otherwise; no ORM, no unit of
work), with a per-process cache in front.

The cache never serves a change late. On PostgreSQL a trigger announces every change to
a certificate, whoever makes it (see the migration b41c7e2d9f03), and each process's
feed evicts it at once; while the feed listens, entries live ``pushed_ttl`` seconds
(ASSAY_VERIFY_CACHE_PUSHED_SECONDS). Without a feed (SQLite, or while it reconnects),
changes made through this process evict at once and other processes' show within
``ttl`` seconds (ASSAY_VERIFY_CACHE_SECONDS; 0 turns the cache off). A lookup that
overlapped an eviction is not cached: it may have read the row from before the change.
Unknown IDs are never cached: a certificate issued a moment ago is found at once, and
random probes cannot fill the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.certificates.models import Certificate
from app.core.changes import ChangeFeed
from app.core.clock import Clock
from app.core.db import DriverPool, driver_statement

# Announced by the trigger on `certificates` (migration b41c7e2d9f03).
CHANGES_CHANNEL = "assay_certificate_changes"
_TRIGGER_INSTALLED = (
    "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'certificates_changed' "
    "AND tgrelid = 'certificates'::regclass)"
)

_COLUMNS = (
    Certificate.public_id,
    Certificate.holder_name,
    Certificate.exam_code,
    Certificate.title,
    Certificate.level,
    Certificate.issued_on,
    Certificate.expires_on,
    Certificate.revoked_at,
    Certificate.revocation_reason,
    Certificate.superseded_by,
    Certificate.renewal_of,
)
_BY_PUBLIC_ID = select(*_COLUMNS).where(Certificate.public_id == bindparam("public_id"))
_PG_BY_PUBLIC_ID, _ = driver_statement(_BY_PUBLIC_ID)
_BY_PUBLIC_IDS = select(*_COLUMNS).where(
    Certificate.public_id.in_(bindparam("ids", expanding=True))
)


@dataclass(frozen=True)
class CertificateRecord:
    """What verification needs of a certificate, detached from any session."""

    public_id: str
    holder_name: str
    exam_code: str
    title: str
    level: str
    issued_on: date
    expires_on: date
    revoked_at: datetime | None
    revocation_reason: str | None
    superseded_by: str | None
    renewal_of: str | None

    @classmethod
    def of(cls, c: Certificate) -> CertificateRecord:
        return cls(*(getattr(c, col.key) for col in _COLUMNS))


class CertificateLookup:
    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        *,
        ttl: float,
        pushed_ttl: float = 0.0,
        driver: DriverPool | None = None,
        max_entries: int = 50_000,
    ) -> None:
        self._engine = engine
        # On PostgreSQL single lookups go through asyncpg's pool (see DriverPool).
        self._driver = driver
        self._clock = clock
        self._ttl = ttl
        self._pushed_ttl = pushed_ttl
        self._max_entries = max_entries
        self._cache: OrderedDict[str, tuple[float, CertificateRecord]] = OrderedDict()
        # Bumped by every eviction: a lookup that saw it change does not cache its row.
        self._evictions = 0
        self.feed: ChangeFeed | None = None
        if driver is not None and ttl > 0:
            self.feed = ChangeFeed(
                driver.dsn,
                CHANGES_CHANNEL,
                on_change=self.forget,
                on_reset=self.clear,
                requires=_TRIGGER_INSTALLED,
            )

    async def find(self, public_id: str) -> CertificateRecord | None:
        now = self._clock.now().timestamp()
        hit = self._cache.get(public_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        evictions = self._evictions
        row: Any
        if self._driver is not None:
            row = await self._driver.fetchrow(_PG_BY_PUBLIC_ID, public_id)
        else:
            async with self._engine.connect() as conn:
                row = (await conn.execute(_BY_PUBLIC_ID, {"public_id": public_id})).first()
        if row is None:
            self._cache.pop(public_id, None)
            return None
        record = CertificateRecord(*row)
        if evictions == self._evictions:
            self._remember(record, now)
        return record

    async def find_many(self, public_ids: Sequence[str]) -> dict[str, CertificateRecord]:
        """For the bulk API: one query for the lot, fresh (employers asking in bulk get
        the database's word, not a cache's)."""
        if not public_ids:
            return {}
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_BY_PUBLIC_IDS, {"ids": list(set(public_ids))})).all()
        return {row.public_id: CertificateRecord(*row) for row in rows}

    def _remember(self, record: CertificateRecord, now: float) -> None:
        if self._ttl <= 0:
            return
        pushed = self.feed is not None and self.feed.up
        self._cache[record.public_id] = (now + (self._pushed_ttl if pushed else self._ttl), record)
        self._cache.move_to_end(record.public_id)
        if len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)

    def forget(self, *public_ids: str) -> None:
        self._evictions += 1
        for public_id in public_ids:
            self._cache.pop(public_id, None)

    def clear(self) -> None:
        self._evictions += 1
        self._cache.clear()
