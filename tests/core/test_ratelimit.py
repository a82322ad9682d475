"""Rate limits and event budgets: token buckets on the injected clock, in memory on
SQLite and shared in PostgreSQL (one UPSERT per check), behind one interface; every
refusal says how long to wait, and that wait is the real one."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.core.clock import ManualClock
from app.core.db import create_engine, dispose_engine
from app.core.errors import RateLimited
from app.core.ratelimit import LimitStore, TokenBuckets
from app.core.sharedlimits import PostgresBackend
from app.main import create_app


def buckets(app: FastAPI, name: str = "test", capacity: float = 3, per: float = 60) -> TokenBuckets:
    return TokenBuckets(app.state.limits, name, capacity=capacity, per_seconds=per)


async def test_a_bucket_refuses_beyond_its_capacity_and_refills_with_time(
    app: FastAPI, clock: ManualClock
) -> None:
    limit = buckets(app)  # 3 a minute: one token every 20 s
    for _ in range(3):
        await limit.take("k")
    with pytest.raises(RateLimited) as refused:
        await limit.take("k")
    assert refused.value.details["retry_after"] == 20
    assert await limit.wait("k") == 20
    clock.advance(seconds=19)
    assert await limit.wait("k") == 1
    clock.advance(seconds=1)
    await limit.take("k")
    await limit.take("other")  # keys are apart


async def test_charge_takes_down_to_zero_and_costs_count(app: FastAPI, clock: ManualClock) -> None:
    limit = buckets(app, capacity=10)
    await limit.charge("k", 25)
    assert await limit.wait("k", 1) == 6  # 10 a minute: 6 s a token
    clock.advance(seconds=30)
    await limit.take("k", 5)
    with pytest.raises(RateLimited):
        await limit.take("k", 1)


def test_the_app_keeps_tokens_where_its_database_is(app: FastAPI, engine: AsyncEngine) -> None:
    shared = isinstance(app.state.limits.backend, PostgresBackend)
    assert shared == (engine.dialect.name == "postgresql")


async def test_two_apps_on_one_postgresql_share_budgets_across_processes_and_restarts(
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
    database_url: str,
    sessionmaker: Any,
) -> None:
    """Two app instances with engines of their own (as two processes would have), then
    a third started afterwards (a restart): one budget."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite is the single-process setup: its buckets are in memory")
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        apps = [create_app(settings, clock, engine=e, run_sweeper=False) for e in engines]
        limits = [buckets(a, "shared", capacity=4) for a in apps]
        await limits[0].take("client")
        await limits[1].take("client")
        await limits[0].take("client")
        await limits[1].take("client")
        for limit in limits:
            with pytest.raises(RateLimited) as refused:
                await limit.take("client")
            assert refused.value.details["retry_after"] == 15
    finally:
        for e in engines:
            await dispose_engine(e)


async def test_pruned_rows_are_only_full_buckets(
    app: FastAPI, clock: ManualClock, engine: AsyncEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("memory buckets drop the least recently seen keys instead")
    backend: PostgresBackend = app.state.limits.backend
    limit = buckets(app, "prune", capacity=2, per=60)
    await limit.take("a", 2)
    clock.advance(seconds=59)
    await backend.prune(clock.now().timestamp())
    assert await limit.wait("a", 2) == 1  # not pruned: still one token short
    clock.advance(seconds=2)
    await backend.prune(clock.now().timestamp())
    assert await limit.wait("a", 2) == 0


async def test_the_hourly_budget_of_misses_says_how_long_to_wait(
    settings: Settings, clock: ManualClock, engine: AsyncEngine, sessionmaker: Any
) -> None:
    """The probe of issue 17: the hourly budget's 429 had no Retry-After."""
    settings = settings.model_copy(update={"verify_misses_per_hour": 3})
    app = create_app(settings, clock, engine=engine, run_sweeper=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://assay.test") as client:
        for _ in range(3):
            assert (await client.get("/api/v1/verify/NOPE-NOPE")).status_code == 404
        refused = await client.get("/api/v1/verify/NOPE-NOPE")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1200"  # 3 an hour: one back in 20 min
        assert refused.json()["error"]["details"]["retry_after"] == 1200
        clock.advance(seconds=1199)
        assert (await client.get("/api/v1/verify/NOPE-NOPE")).headers["Retry-After"] == "1"
        clock.advance(seconds=1)
        assert (await client.get("/api/v1/verify/NOPE-NOPE")).status_code == 404


def test_a_429_cannot_be_raised_without_its_wait() -> None:
    with pytest.raises(TypeError):
        RateLimited("slow down")  # type: ignore[call-arg]
    assert RateLimited(retry_after=7).details == {"retry_after": 7}


def test_memory_store_is_the_default(clock: ManualClock) -> None:
    assert type(LimitStore(clock).backend).__name__ == "MemoryBackend"


async def test_concurrent_misses_get_exactly_the_budget_of_misses(
    settings: Settings, clock: ManualClock, engine: AsyncEngine, sessionmaker: Any
) -> None:
    """Checked before the lookup and charged after it, misses sent at once all passed
    the check: the budget was overrun by the concurrency (on PostgreSQL, where each
    check is a round trip the others overtake). Paid for up front, it holds; a hit
    gives its token back."""
    settings = settings.model_copy(update={"verify_misses_per_hour": 3})
    app = create_app(settings, clock, engine=engine, run_sweeper=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://assay.test") as client:
        answers = await asyncio.gather(
            *(client.get(f"/api/v1/verify/NOPE-{n:04d}") for n in range(10))
        )
        assert sorted(r.status_code for r in answers) == [404] * 3 + [429] * 7
        limit = app.state.certificates.misses
        clock.advance(seconds=1200)  # one miss back (3 an hour)
        await limit.take("127.0.0.1")
        await limit.give_back("127.0.0.1")  # as a hit does
        assert await limit.wait("127.0.0.1") == 0
        await limit.give_back("127.0.0.1", 10)  # never beyond the budget
        for _ in range(3):
            await limit.take("127.0.0.1")
        assert await limit.wait("127.0.0.1") == 1200
