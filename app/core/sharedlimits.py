"""Token buckets kept in PostgreSQL, shared by every process on the database and kept
across restarts (``app/core/ratelimit.py`` holds the interface and the in-memory one).

One row per (bucket, key): the tokens left at ``at`` (the injected clock's epoch
seconds). A check is one atomic statement: the UPSERT refills the row by the time
elapsed, takes the cost only if it is there (the ``WHERE`` of ``DO UPDATE``), and
answers whether it did; concurrent checks on one key queue on the row lock, so two
processes never spend the same token. ``full_at`` is when the bucket is full again:
a row past it says no more than no row at all, and ``prune`` deletes those. The table
is UNLOGGED (migration 5e1d2c3b4a69): no WAL per check; a crash of PostgreSQL itself
empties it, which gives every client a full budget once, a fair trade.
"""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, DriverPool


class RateLimitRow(Base):
    __tablename__ = "rate_limits"

    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[float] = mapped_column(Float)
    full_at: Mapped[float] = mapped_column(Float, index=True)


# $1 bucket, $2 key, $3 capacity, $4 now, $5 cost, $6 rate (tokens per second).
_LEVEL = "LEAST($3::float8, r.tokens + GREATEST(0, $4::float8 - r.at) * $6::float8)"
_TAKE = f"""
INSERT INTO rate_limits AS r (bucket, key, tokens, at, full_at)
SELECT $1::varchar, $2::varchar, $3::float8 - $5::float8, $4::float8, $4::float8 + $5::float8 / $6::float8
WHERE $3::float8 >= $5::float8
ON CONFLICT (bucket, key) DO UPDATE
SET tokens = {_LEVEL} - $5::float8,
    at = GREATEST(r.at, $4::float8),
    full_at = GREATEST(r.at, $4::float8) + ($3::float8 - ({_LEVEL} - $5::float8)) / $6::float8
WHERE {_LEVEL} >= $5::float8
RETURNING r.tokens
"""
_CHARGE = f"""
INSERT INTO rate_limits AS r (bucket, key, tokens, at, full_at)
VALUES ($1::varchar, $2::varchar, GREATEST(0, $3::float8 - $5::float8), $4::float8,
        $4::float8 + LEAST($3::float8, $5::float8) / $6::float8)
ON CONFLICT (bucket, key) DO UPDATE
SET tokens = GREATEST(0, {_LEVEL} - $5::float8),
    at = GREATEST(r.at, $4::float8),
    full_at = GREATEST(r.at, $4::float8)
        + ($3::float8 - GREATEST(0, {_LEVEL} - $5::float8)) / $6::float8
"""  # noqa: S608 (constant SQL; values are bound parameters)
# $1 bucket, $2 key, $3 capacity, $4 now, $5 rate.
_SELECT_LEVEL = """
SELECT LEAST($3::float8, r.tokens + GREATEST(0, $4::float8 - r.at) * $5::float8)
FROM rate_limits AS r WHERE r.bucket = $1::varchar AND r.key = $2::varchar
"""
_PRUNE = "DELETE FROM rate_limits WHERE full_at < $1::float8"


class PostgresBackend:
    """Through asyncpg's own pool (``DriverPool``): these checks sit on hot paths."""

    def __init__(self, driver: DriverPool) -> None:
        self._driver = driver

    async def take(
        self, bucket: str, key: str, cost: float, capacity: float, rate: float, now: float
    ) -> float | None:
        row = await self._driver.fetchrow(_TAKE, bucket, key[:200], capacity, now, cost, rate)
        if row is not None:
            return None
        return await self.level(bucket, key, capacity, rate, now)

    async def level(self, bucket: str, key: str, capacity: float, rate: float, now: float) -> float:
        row = await self._driver.fetchrow(_SELECT_LEVEL, bucket, key[:200], capacity, now, rate)
        return capacity if row is None else float(row[0])

    async def charge(
        self, bucket: str, key: str, cost: float, capacity: float, rate: float, now: float
    ) -> None:
        await self._driver.fetchrow(_CHARGE, bucket, key[:200], capacity, now, cost, rate)

    async def prune(self, now: float) -> None:
        await self._driver.fetchrow(_PRUNE, now)
