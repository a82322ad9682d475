"""Outage credit from the service's own evidence, with the injected clock: the attempts
in progress during a gap get its length back, once; nothing else changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.models import Attempt
from app.availability import service
from app.availability.failures import FailureCounter
from app.availability.models import DeadlineCredit, ServiceGap
from app.availability.monitor import AvailabilityMonitor
from app.core.clock import ManualClock
from app.identity.models import Role
from app.proctoring import audit
from app.proctoring.models import AuditEntry
from tests.conftest import Candidate, sign_up
from tests.proctoring.conftest import staff_member

POLICY = service.GapPolicy(threshold=timedelta(seconds=30), shed_per_minute=20)


async def deadlines(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, datetime]:
    async with sessionmaker() as session:
        rows = await session.execute(select(Attempt.id, Attempt.deadline_at))
        return {str(i): d for i, d in rows}


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def start(candidate: Candidate) -> str:
    r = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_an_outage_extends_exactly_the_attempts_in_progress_by_its_length_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    before = AvailabilityMonitor(clock.now(), FailureCounter())
    assert await before.run(sessionmaker, clock, POLICY) == 0
    runner = await sign_up(client, name="Ada Running")
    running = await start(runner)
    finisher = await sign_up(client, name="Bea Finished")
    finished = await start(finisher)
    clock.advance(seconds=10)
    assert await before.run(sessionmaker, clock, POLICY) == 0
    clock.advance(seconds=5)
    assert (await finisher.post(f"/api/v1/attempts/{finished}/submit")).status_code == 202
    clock.advance(seconds=5)
    await before.run(sessionmaker, clock, POLICY)  # last heartbeat before the outage
    was = await deadlines(sessionmaker)

    # Every serving process is gone for 7 minutes; a new one comes up.
    clock.advance(minutes=7)
    after = AvailabilityMonitor(clock.now(), FailureCounter())
    assert await after.run(sessionmaker, clock, POLICY) == 1
    # A second process coming up at the same moment finds the gap recorded and credited.
    other = AvailabilityMonitor(clock.now(), FailureCounter())
    assert await other.run(sessionmaker, clock, POLICY) == 0
    late = await start(await sign_up(client, name="Cy Later"))
    clock.advance(seconds=10)
    assert await after.run(sessionmaker, clock, POLICY) == 0  # the detector again: nothing

    now = await deadlines(sessionmaker)
    assert now[running] - was[running] == timedelta(minutes=7)
    assert now[finished] == was[finished]
    assert late not in was
    assert await count(sessionmaker, DeadlineCredit) == 1
    async with sessionmaker() as session:
        (gap,) = await service.gaps(session)
        assert (gap.kind, gap.seconds) == ("down", 420)
        entries = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "outage_credit")))
            .scalars()
            .all()
        )
        assert [(str(e.attempt_id), e.details["seconds"]) for e in entries] == [(running, 420)]
        assert (await audit.verify(session)).intact

    # The candidate sees the credit; the later attempt has none.
    state = (await runner.get(f"/api/v1/attempts/{running}")).json()
    assert state["credited_seconds"] == 420
    assert state["deadline_at"].startswith(now[running].isoformat()[:19])

    proctor = await staff_member(client, sessionmaker, clock, Role.proctor, "Pat Proctor")
    detail = (await proctor.get(f"/api/v1/review/attempts/{running}")).json()
    credit = {t["kind"]: t for t in detail["timeline"] if t["type"] == "outage_credit"}
    assert sorted(credit) == ["decision", "event"]  # the event and its audit entry
    assert "7 min" in credit["event"]["summary"]
    assert "service down for 420 s" in credit["decision"]["summary"]
    other = (await proctor.get(f"/api/v1/review/attempts/{late}")).json()
    assert not [t for t in other["timeline"] if t["type"] == "outage_credit"]


async def test_a_candidates_own_network_loss_is_not_credited(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    monitor = AvailabilityMonitor(clock.now(), FailureCounter())
    await start(await sign_up(client, name="Di Offline"))
    was = await deadlines(sessionmaker)
    # The candidate is away for 6 minutes; the service keeps beating every 10 s.
    for _ in range(36):
        clock.advance(seconds=10)
        assert await monitor.run(sessionmaker, clock, POLICY) == 0
    assert await deadlines(sessionmaker) == was
    assert await count(sessionmaker, ServiceGap) == 0


async def test_a_minute_of_shedding_is_credited_once(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    counter = FailureCounter()
    monitor = AvailabilityMonitor(clock.now(), counter)
    busy = await start(await sign_up(client, name="Eve Busy"))
    await monitor.run(sessionmaker, clock, POLICY)
    was = await deadlines(sessionmaker)
    for _ in range(6):
        clock.advance(seconds=10)
        await monitor.run(sessionmaker, clock, POLICY)
    shed_minute = clock.now().replace(second=0, microsecond=0)
    for step in range(25):
        clock.advance(seconds=2)
        counter.count(clock.now())
        if step % 5 == 4:
            await monitor.run(sessionmaker, clock, POLICY)
    # Below the threshold in another minute: not an outage.
    for _ in range(5):
        counter.count(shed_minute + timedelta(minutes=1, seconds=30))
    await monitor.run(sessionmaker, clock, POLICY)
    assert await deadlines(sessionmaker) == was  # the minute is not judged yet
    for _ in range(10):
        clock.advance(seconds=10)
        await monitor.run(sessionmaker, clock, POLICY)
    now = await deadlines(sessionmaker)
    assert now[busy] - was[busy] == timedelta(seconds=60)
    async with sessionmaker() as session:
        (gap,) = await service.gaps(session)
        assert (gap.kind, gap.starts_at, gap.seconds) == ("shedding", shed_minute, 60)
