"""Item exposure: the counters the background pass folds equal the aggregate over
history that a start no longer makes; forms still balance on them; a start's queries
are bounded by the candidate's own rows."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.attempts.exposure import ExposureCache, fold_exposure
from app.attempts.exposure_repository import ExposureRepository
from app.attempts.models import AttemptItem, ExposurePending
from app.core.clock import ManualClock
from app.exams.models import ItemVersion
from tests.conftest import sign_up


async def _aggregate(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """What the start used to compute each time: every form every item was on."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(ItemVersion.item_id, func.count())
            .join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id)
            .group_by(ItemVersion.item_id)
        )
        return {item_id: count for item_id, count in rows}


async def _counters(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessionmaker() as session:
        return await ExposureRepository(session).counters()


async def _start(client: httpx.AsyncClient, count: int) -> None:
    for _ in range(count):
        candidate = await sign_up(client)
        started = await candidate.post("/api/v1/exams/test-foundation/attempts")
        assert started.status_code == 201, started.text


async def test_folded_counters_equal_the_aggregate_and_each_attempt_counts_once(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await _start(client, 3)
    assert await _counters(sessionmaker) == {}  # nothing folded yet
    assert await fold_exposure(sessionmaker) == 3
    assert await _counters(sessionmaker) == await _aggregate(sessionmaker)

    await _start(client, 4)  # between two folds
    assert await fold_exposure(sessionmaker, batch=3) == 4  # over more than one batch
    assert await fold_exposure(sessionmaker) == 0  # folding again counts nothing twice
    counters = await _counters(sessionmaker)
    assert counters == await _aggregate(sessionmaker)
    assert sum(counters.values()) == 7 * 5
    async with sessionmaker() as session:
        assert (
            await session.execute(select(func.count()).select_from(ExposurePending))
        ).scalar_one() == 0


async def test_folds_running_at_once_count_each_attempt_once(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # Two processes' background passes at the same moment: disjoint batches (SKIP LOCKED
    # on PostgreSQL, one writer at a time on SQLite), never the same attempt twice.
    await _start(client, 6)
    folded = await asyncio.gather(
        fold_exposure(sessionmaker, batch=2), fold_exposure(sessionmaker, batch=2)
    )
    assert sum(folded) == 6
    assert await _counters(sessionmaker) == await _aggregate(sessionmaker)


async def test_forms_balance_exposure_on_the_folded_counters(
    app: FastAPI,
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    app.state.exposure = ExposureCache(timedelta(0))  # read the counters at every start
    for _ in range(8):
        await _start(client, 1)
        await fold_exposure(sessionmaker)
    counters = await _counters(sessionmaker)
    async with sessionmaker() as session:
        rows = await session.execute(
            select(ItemVersion.item_id, ItemVersion.domain).where(ItemVersion.level == "foundation")
        )
        domains = {item_id: domain for item_id, domain in rows}
    for domain in ("lifecycle", "data"):
        shown = [counters.get(item_id, 0) for item_id, d in domains.items() if d == domain]
        assert max(shown) - min(shown) <= 1, (domain, shown)


async def test_the_cache_reads_the_counters_at_most_once_per_period(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    cache = ExposureCache(timedelta(seconds=30))
    async with sessionmaker() as session:
        assert dict(await cache.snapshot(session, clock.now())) == {}
        await ExposureRepository(session).add_shown({"LIF-F-001": 2})
        await session.commit()
        clock.advance(seconds=29)
        assert dict(await cache.snapshot(session, clock.now())) == {}  # still the copy
        clock.advance(seconds=1)
        assert dict(await cache.snapshot(session, clock.now())) == {"LIF-F-001": 2}
        await ExposureRepository(session).add_shown({"LIF-F-001": 1})
        await session.commit()
        cache.invalidate()  # what the fold does in its own process
        assert dict(await cache.snapshot(session, clock.now())) == {"LIF-F-001": 3}


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)


# A read of attempt_items is bounded if it is filtered by one attempt or by one user.
_BOUNDED = re.compile(r"attempt_items\.attempt_id (=|IN)|attempts\.user_id =")


async def test_a_start_makes_no_query_over_all_attempt_items(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await _start(client, 3)  # some history
    await fold_exposure(sessionmaker)
    candidate = await sign_up(client)
    with _statements(engine) as seen:
        started = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert started.status_code == 201, started.text
    reads = [s for s in seen if s.startswith("SELECT") and "attempt_items" in s]
    assert reads, seen  # the candidate's seen items are read
    for statement in reads:
        assert _BOUNDED.search(statement), statement
    assert not [s for s in seen if "count(" in s.lower() and "attempt_items" in s]
    assert any(s.startswith("INSERT INTO exposure_pending") for s in seen), seen
