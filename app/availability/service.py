"""Outage credit from the service's own evidence.

Every serving process's background pass writes a heartbeat and the counts of requests it
failed (500) or shed (503). The same pass, before it submits overdue attempts, looks for
gaps:

- **down**: no serving process had a heartbeat for longer than the threshold. The gap
  runs from the last heartbeat any process wrote to now (seen by the first pass after
  the service is back, whichever process runs it);
- **shedding**: a complete minute in which the processes together failed or shed at
  least ``shed_per_minute`` requests (and no down gap covers it).

Each gap is recorded once (its key), and every attempt that was in progress during it
gets its deadline extended by the gap's length, once (one credit row per gap and
attempt), recorded on the attempt's timeline and in the audit chain. Gaps may overlap
(a process whose clock was stepped back rewrites its heartbeat earlier; processes whose
clocks disagree judge the same minutes): a credit gives only the part of its gap that
no gap credited to that attempt before covers, so an attempt's credits add up to the
union of its gaps, never the same time twice. A gap wholly covered leaves a credit row
of 0 s (the gap is done for that attempt) and nothing on the timeline. A candidate's own
network loss leaves no gap: the service was up, so nothing is credited."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.availability.failures import FailureCounter
from app.availability.models import DeadlineCredit, ServiceGap
from app.availability.repository import AvailabilityRepository
from app.availability.windows import uncovered
from app.core.clock import Clock
from app.proctoring import audit
from app.proctoring import service as proctoring_service

WINDOW = timedelta(minutes=1)
# How far back complete minutes are examined for shedding.
SHED_LOOKBACK = timedelta(hours=1)
CREDITOR = audit.Actor(None, "assay (outage credit)")


@dataclass(frozen=True)
class GapPolicy:
    threshold: timedelta
    shed_per_minute: int


async def beat(session: AsyncSession, clock: Clock, process_id: str, started_at: datetime) -> None:
    await AvailabilityRepository(session).beat(process_id, started_at, clock.now())


async def flush_failures(session: AsyncSession, process_id: str, counter: FailureCounter) -> None:
    """Moves this process's counts to the database (in the caller's transaction; they go
    back to the counter if it fails)."""
    counts = counter.take()
    try:
        repo = AvailabilityRepository(session)
        for window, count in sorted(counts.items()):
            await repo.add_failures(process_id, window, count)
    except BaseException:
        counter.put_back(counts)
        raise


async def detect_gaps(session: AsyncSession, clock: Clock, policy: GapPolicy) -> list[ServiceGap]:
    """Records the gaps not recorded yet; returns those this call recorded. Run before
    this process's own heartbeat of the pass."""
    repo = AvailabilityRepository(session)
    now = clock.now()
    found: list[ServiceGap] = []
    last = await repo.last_seen()
    if last is not None and now - last > policy.threshold:
        found.append(_gap("down", last, now, now))
    # A minute is judged once every process has flushed it (the threshold is longer
    # than a pass).
    until = now - WINDOW - policy.threshold
    for window in await repo.shedding_windows(now - SHED_LOOKBACK, until, policy.shed_per_minute):
        end = window + WINDOW
        if any(g.kind == "down" and g.starts_at < end and g.ends_at > window for g in found):
            continue
        if await repo.down_overlapping(window, end):
            continue
        found.append(_gap("shedding", window, end, now))
    return [gap for gap in found if await repo.record_gap(gap)]


def _gap(kind: str, starts_at: datetime, ends_at: datetime, now: datetime) -> ServiceGap:
    return ServiceGap(
        id=uuid.uuid4(),
        key=f"{kind}:{starts_at.isoformat()}",
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        seconds=math.ceil((ends_at - starts_at).total_seconds()),
        detected_at=now,
    )


async def credit_gaps(session: AsyncSession, clock: Clock) -> int:
    """Extends every attempt in progress during a recorded, uncredited gap by the gap's
    length; returns how many attempts were credited. Idempotent."""
    repo = AvailabilityRepository(session)
    credited = 0
    for gap in await repo.uncredited_gaps():
        attempts = await repo.attempts_running_through(gap)
        earlier = await repo.credited_windows([a.id for a in attempts])
        for attempt in attempts:
            left = uncovered(gap.starts_at, gap.ends_at, earlier[attempt.id])
            seconds = min(gap.seconds, math.ceil(left.total_seconds()))
            await repo.add_credit(
                DeadlineCredit(
                    gap_id=gap.id,
                    attempt_id=attempt.id,
                    seconds=seconds,
                    credited_at=clock.now(),
                )
            )
            if seconds == 0:
                continue
            attempt.deadline_at += timedelta(seconds=seconds)
            details = {
                "gap_id": str(gap.id),
                "kind": gap.kind,
                "seconds": seconds,
                "from": gap.starts_at.isoformat(),
                "to": gap.ends_at.isoformat(),
                "deadline_at": attempt.deadline_at.isoformat(),
                "reason": _reason(gap, seconds),
            }
            await proctoring_service.record_server_event(
                session, clock, attempt.id, "outage_credit", details
            )
            await audit.append(
                session,
                clock,
                CREDITOR,
                "outage_credit",
                subject=f"attempt:{attempt.id}",
                attempt_id=attempt.id,
                details=details,
            )
            credited += 1
        gap.credited_at = clock.now()
        await session.flush()
    return credited


def _reason(gap: ServiceGap, seconds: int) -> str:
    reason = f"service {gap.kind} for {gap.seconds} s from {gap.starts_at:%H:%M:%S} UTC"
    if seconds < gap.seconds:
        reason += f" ({gap.seconds - seconds} s of it credited already)"
    return reason


async def credited_seconds(session: AsyncSession, attempt_id: uuid.UUID) -> int:
    return await AvailabilityRepository(session).credited_seconds(attempt_id)


async def gaps(session: AsyncSession) -> Sequence[ServiceGap]:
    return await AvailabilityRepository(session).gaps()
