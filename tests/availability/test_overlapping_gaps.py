"""Outage windows that overlap never credit the same time twice: an attempt's credits
add up to the union of the windows it was credited for."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.availability import service
from app.availability.failures import FailureCounter
from app.availability.models import DeadlineCredit, ServiceGap
from app.availability.monitor import AvailabilityMonitor
from app.availability.repository import AvailabilityRepository
from app.availability.windows import uncovered
from app.core.clock import ManualClock
from app.core.db import session_scope
from app.proctoring import audit
from app.proctoring.models import AuditEntry
from tests.availability.test_outage_credit import POLICY, deadlines, start
from tests.conftest import START, sign_up

T = START


def at(seconds: int) -> datetime:
    return T + timedelta(seconds=seconds)


def test_uncovered_time_is_what_no_window_covers() -> None:
    assert uncovered(at(0), at(100), []) == timedelta(seconds=100)
    assert uncovered(at(0), at(100), [(at(30), at(60))]) == timedelta(seconds=70)
    assert uncovered(at(0), at(100), [(at(-50), at(10)), (at(90), at(200))]) == timedelta(
        seconds=80
    )
    # Covering windows that overlap each other are counted once.
    assert uncovered(at(0), at(100), [(at(10), at(50)), (at(20), at(40))]) == timedelta(seconds=60)
    assert uncovered(at(0), at(100), [(at(-10), at(200))]) == timedelta(0)
    assert uncovered(at(0), at(100), [(at(100), at(200)), (at(-9), at(0))]) == timedelta(
        seconds=100
    )


async def credits(
    sessionmaker: async_sessionmaker[AsyncSession], attempt_id: str
) -> list[tuple[str, int]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(ServiceGap.kind, DeadlineCredit.seconds)
            .join(ServiceGap, ServiceGap.id == DeadlineCredit.gap_id)
            .where(DeadlineCredit.attempt_id == uuid.UUID(attempt_id))
            .order_by(ServiceGap.starts_at)
        )
        return [(kind, seconds) for kind, seconds in rows]


async def test_a_down_gap_over_a_credited_shedding_minute_credits_only_the_rest(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    """The heartbeats say when the service was last alive; a process whose clock is
    stepped back (a time sync) writes an earlier one over its own, and the down gap
    found next begins before a shedding minute credited already."""
    counter = FailureCounter()
    monitor = AvailabilityMonitor(clock.now(), counter)
    attempt = await start(await sign_up(client, name="Flo Overlap"))
    await monitor.run(sessionmaker, clock, POLICY)
    was = await deadlines(sessionmaker)
    for _ in range(6):
        clock.advance(seconds=10)
        await monitor.run(sessionmaker, clock, POLICY)
    shed_minute = clock.now().replace(second=0, microsecond=0)
    for step in range(30):
        clock.advance(seconds=2)
        counter.count(clock.now())
        if step % 5 == 4:
            await monitor.run(sessionmaker, clock, POLICY)
    for _ in range(6):
        clock.advance(seconds=10)
        await monitor.run(sessionmaker, clock, POLICY)
    assert await credits(sessionmaker, attempt) == [("shedding", 60)]

    # The clock steps back 90 seconds, the process beats once more, then every process
    # is gone for five minutes.
    clock.advance(seconds=-90)
    await monitor.beat(sessionmaker, clock, POLICY)
    last_beat = clock.now()
    assert shed_minute < last_beat < shed_minute + timedelta(minutes=1)
    clock.advance(minutes=5)
    after = AvailabilityMonitor(clock.now(), FailureCounter())
    assert await after.run(sessionmaker, clock, POLICY) == 1

    async with sessionmaker() as session:
        down = (
            await session.execute(select(ServiceGap).where(ServiceGap.kind == "down"))
        ).scalar_one()
    assert (down.starts_at, down.seconds) == (last_beat, 300)
    overlap = shed_minute + timedelta(minutes=1) - last_beat
    assert await credits(sessionmaker, attempt) == [
        ("shedding", 60),
        ("down", 300 - int(overlap.total_seconds())),
    ]
    now = await deadlines(sessionmaker)
    union = down.ends_at - shed_minute
    assert now[attempt] - was[attempt] == union


async def test_overlapping_gaps_credited_in_one_pass_add_up_to_their_union(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    """Two windows recorded before any credit (two processes whose clocks disagree, say),
    one inside the other's span in part, and a third wholly inside the first."""
    attempt = await start(await sign_up(client, name="Gus Twice"))
    other = await start(await sign_up(client, name="Hal Later"))
    was = await deadlines(sessionmaker)
    base = clock.now()
    windows = [
        ("down", base + timedelta(minutes=2), base + timedelta(minutes=6)),
        ("shedding", base + timedelta(minutes=5), base + timedelta(minutes=7)),
        ("shedding", base + timedelta(minutes=3), base + timedelta(minutes=4)),
    ]
    clock.advance(minutes=10)
    async with session_scope(sessionmaker) as session:
        repo = AvailabilityRepository(session)
        for kind, starts_at, ends_at in windows:
            gap = ServiceGap(
                id=uuid.uuid4(),
                key=f"{kind}:{starts_at.isoformat()}",
                kind=kind,
                starts_at=starts_at,
                ends_at=ends_at,
                seconds=int((ends_at - starts_at).total_seconds()),
                detected_at=clock.now(),
            )
            assert await repo.record_gap(gap)
    async with session_scope(sessionmaker) as session:
        # Two attempts, each credited for two of the windows: the third adds nothing.
        assert await service.credit_gaps(session, clock) == 4
    async with session_scope(sessionmaker) as session:
        assert await service.credit_gaps(session, clock) == 0

    now = await deadlines(sessionmaker)
    for credited in (attempt, other):
        assert now[credited] - was[credited] == timedelta(minutes=5)
        assert await credits(sessionmaker, credited) == [
            ("down", 240),
            ("shedding", 0),
            ("shedding", 60),
        ]
    async with sessionmaker() as session:
        assert await service.credited_seconds(session, uuid.UUID(attempt)) == 300
        entries = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "outage_credit")))
            .scalars()
            .all()
        )
        # Nothing given, nothing audited: the window wholly covered leaves no entry.
        assert sorted(e.details["seconds"] for e in entries) == [60, 60, 240, 240]
        assert (await audit.verify(session)).intact
