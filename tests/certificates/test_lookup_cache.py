"""The verification cache never serves a change late: on PostgreSQL every change to a
certificate, whoever makes it, is pushed to each process's cache; a lookup that
overlapped an eviction is not kept; a feed that is down means a short cache."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.certificates import ids
from app.certificates.dependencies import certificates_state, change_feed
from app.certificates.lookup import CHANGES_CHANNEL, CertificateLookup
from app.core.changes import ChangeFeed, FeedIncomplete
from app.core.clock import ManualClock
from app.core.db import driver_pool
from tests.certificates.test_verification import _certified

ROW = (
    "ABCDEFGHJKMN",
    "Grace Hopper",
    "mlops-foundation",
    "MLOps Foundation",
    "foundation",
    date(2026, 3, 2),
    date(2029, 3, 2),
    None,
    None,
    None,
    None,
)


class SlowDriver:
    """A driver whose lookups wait until released, to put an eviction in the middle."""

    dsn = "postgresql://unused"

    def __init__(self) -> None:
        self.reading = asyncio.Event()
        self.release = asyncio.Event()
        self.calls = 0

    async def fetchrow(self, _sql: str, *_args: Any) -> tuple[Any, ...]:
        self.calls += 1
        self.reading.set()
        await self.release.wait()
        return ROW


async def test_a_lookup_that_overlaps_an_eviction_is_not_cached(
    engine: AsyncEngine, clock: ManualClock
) -> None:
    driver = SlowDriver()
    lookup = CertificateLookup(engine, clock, ttl=60, driver=driver)  # type: ignore[arg-type]
    pending = asyncio.create_task(lookup.find("ABCDEFGHJKMN"))
    await driver.reading.wait()
    lookup.forget("ABCDEFGHJKMN")  # a change was heard while the row was being read
    driver.release.set()
    assert (await pending) is not None
    await lookup.find("ABCDEFGHJKMN")
    assert driver.calls == 2  # read again: the first answer may predate the change
    await lookup.find("ABCDEFGHJKMN")
    assert driver.calls == 2  # and this one is kept


def _requires_postgresql(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the change feed is PostgreSQL's LISTEN/NOTIFY")


async def _raw(engine: AsyncEngine) -> asyncpg.Connection:
    pool = driver_pool(engine)
    assert pool is not None
    return await asyncpg.connect(pool.dsn)


async def test_a_change_made_elsewhere_reaches_the_cache_at_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    _requires_postgresql(engine)
    _, certificate_id = await _certified(client, sessionmaker, clock)
    lookup = certificates_state(app).lookup
    assert lookup is not None and lookup.feed is not None
    heard = asyncio.Queue[str]()

    def on_change(public_id: str) -> None:
        lookup.forget(public_id)
        heard.put_nowait(public_id)

    pool = driver_pool(engine)
    assert pool is not None
    lookup.feed = ChangeFeed(pool.dsn, CHANGES_CHANNEL, on_change=on_change, on_reset=lookup.clear)
    async with change_feed(app):
        assert lookup.feed.up
        first = await client.get(f"/api/v1/verify/{certificate_id}")
        assert first.json()["status"] == "active"
        # Another process (here: a bare connection) revokes; nothing in this one knows.
        other = await _raw(engine)
        try:
            await other.execute(
                "UPDATE certificates SET revoked_at = $1, revocation_reason = 'Fraud' "
                "WHERE public_id = $2",
                datetime.fromisoformat("2026-06-01T00:00:00+00:00"),
                ids.normalise(certificate_id),
            )
        finally:
            await other.close()
        assert await asyncio.wait_for(heard.get(), 10) == ids.normalise(certificate_id)
        after = await client.get(f"/api/v1/verify/{certificate_id}")
        assert after.json()["status"] == "revoked"
    assert not lookup.feed.up


async def test_a_lost_feed_empties_the_cache_and_comes_back(
    engine: AsyncEngine, clock: ManualClock
) -> None:
    _requires_postgresql(engine)
    pool = driver_pool(engine)
    assert pool is not None
    resets: asyncio.Queue[bool] = asyncio.Queue()
    feed = ChangeFeed(
        pool.dsn,
        CHANGES_CHANNEL,
        on_change=lambda _: None,
        on_reset=lambda: resets.put_nowait(feed.up),
        retry_seconds=0,
    )
    feed.start()
    try:
        assert await asyncio.wait_for(resets.get(), 10) is True  # listening: start clean
        other = await _raw(engine)
        try:
            await other.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        finally:
            await other.close()
        assert await asyncio.wait_for(resets.get(), 10) is False  # lost: forget everything
        assert await asyncio.wait_for(resets.get(), 10) is True  # back, and clean again
    finally:
        await feed.stop()


async def test_a_feed_that_would_hear_nothing_stays_down(engine: AsyncEngine) -> None:
    _requires_postgresql(engine)
    pool = driver_pool(engine)
    assert pool is not None
    resets: list[bool] = []
    feed = ChangeFeed(
        pool.dsn,
        CHANGES_CHANNEL,
        on_change=lambda _: None,
        on_reset=lambda: resets.append(feed.up),
        requires="SELECT false",  # as if the trigger's migration had not run
    )
    with pytest.raises(FeedIncomplete):
        await feed._listen_once()
    assert feed.up is False and resets == []  # the cache keeps its short lifetime
