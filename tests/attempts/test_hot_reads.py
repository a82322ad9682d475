"""The exam page's hot reads (app/attempts/hot.py): opening an attempt, what every
candidate of a sitting does at its start, costs a bounded number of statements, and the
clock sync notes its client without reading or writing while nothing changed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from app.proctoring.models import AttemptClient
from app.proctoring.service import CLIENT_REFRESH_SECONDS
from tests.attempts.helpers import own_statements, sent_statements
from tests.conftest import Candidate, sign_up


async def test_opening_an_attempt_costs_one_read_each(
    engine: AsyncEngine,
    candidate: Candidate,
    published: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert started.status_code == 201, started.text
    base = f"/api/v1/attempts/{started.json()['id']}"

    with sent_statements(engine, monkeypatch) as seen:
        assert (await candidate.get(base)).status_code == 200
    # The attempt with its answers, and the first client noted (an insert of its own).
    assert len(own_statements(seen)) == 2, seen

    assert (await candidate.get(f"{base}/items/q1")).status_code == 200  # renders q1 once
    with sent_statements(engine, monkeypatch) as seen:
        item = await candidate.get(f"{base}/items/q1")
    assert item.status_code == 200
    assert item.json()["options"] and item.json()["seq"] == 0
    assert len(own_statements(seen)) == 1, seen  # the slot with its answer; the text is cached

    with sent_statements(engine, monkeypatch) as seen:
        state = await candidate.get(base)
    assert state.status_code == 200 and state.json()["status"] == "in_progress"
    assert len(own_statements(seen)) == 1, seen  # the client was noted moments ago: nothing to do


async def test_a_clock_sync_refreshes_its_client_only_after_the_refresh_period(
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    started = await candidate.post("/api/v1/exams/test-foundation/attempts")
    attempt_id = uuid.UUID(started.json()["id"])
    base = f"/api/v1/attempts/{attempt_id}"

    async def last_seen() -> list[Any]:
        async with sessionmaker() as session:
            rows = await session.execute(
                select(AttemptClient.last_seen).where(AttemptClient.attempt_id == attempt_id)
            )
            return list(rows.scalars())

    first_seen = clock.now()
    await candidate.get(base)
    assert await last_seen() == [first_seen]
    clock.advance(seconds=CLIENT_REFRESH_SECONDS - 1)
    await candidate.get(base)
    assert await last_seen() == [first_seen]  # within the period: not written
    clock.advance(seconds=1)
    await candidate.get(base)
    assert await last_seen() == [clock.now()]


async def test_someone_elses_attempt_and_a_missing_item_stay_closed(
    client: httpx.AsyncClient,
    candidate: Candidate,
    published: Path,
) -> None:
    started = await candidate.post("/api/v1/exams/test-foundation/attempts")
    base = f"/api/v1/attempts/{started.json()['id']}"
    intruder = await sign_up(client, name="Mallory")
    for url in (base, f"{base}/items/q1"):
        r = await intruder.get(url)
        assert r.status_code == 404 and r.json()["error"]["code"] == "attempt_not_found"
    missing = f"/api/v1/attempts/{uuid.uuid4()}"
    for url in (missing, f"{missing}/items/q1"):
        assert (await candidate.get(url)).status_code == 404
    r = await candidate.get(f"{base}/items/q999")
    assert r.status_code == 404 and r.json()["error"]["code"] == "item_not_found"
