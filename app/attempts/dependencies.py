"""Routes that take ``OwnedAttempt`` cannot forget the ownership check: someone else's
attempt is a 404, exactly like one that does not exist; ``StartedAttempt`` adds that its
clock has started (409 ``attempt_not_started`` before a sitting's start). The autosave
repository is the app's own (``attach_engine``): it holds the batches of saves in flight;
so are the exam page's hot reads (``hot.HotReads``), which judge the same two rules on the
row they read."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from app.attempts import service
from app.attempts.admission import AdmissionLine, AdmissionWait, Waiting
from app.attempts.exceptions import AttemptNotStarted
from app.attempts.hot import HotReads
from app.attempts.models import Attempt, AttemptStatus
from app.attempts.repository import AutosaveRepository
from app.core.db import driver_pool
from app.core.deps import (
    ClockDep,
    PendingJobsDep,
    SessionDep,
    SessionmakerDep,
    SettingsDep,
    runtime,
)
from app.grading.dependencies import scenario_registry
from app.identity.dependencies import CurrentUserId, HotUserId
from app.proctoring import service as proctoring_service
from app.proctoring.dependencies import ClientDep, ReviewPolicyDep


async def owned_attempt(
    attempt_id: uuid.UUID, session: SessionDep, user_id: CurrentUserId
) -> Attempt:
    return await service.owned_attempt(session, user_id, attempt_id)


OwnedAttempt = Annotated[Attempt, Depends(owned_attempt)]


async def started_attempt(attempt: OwnedAttempt, clock: ClockDep) -> Attempt:
    """The caller's attempt whose clock runs (or ran): a checked-in attempt's items stay
    closed until its sitting starts."""
    if not service.has_started(attempt, clock.now()):
        raise AttemptNotStarted()
    return attempt


StartedAttempt = Annotated[Attempt, Depends(started_attempt)]


@dataclass(frozen=True)
class Starting:
    """A caller admitted to start an attempt (a start, a check-in)."""

    user_id: uuid.UUID
    # When they first asked, before any wait in line.
    arrived_at: datetime


async def admitted_starter(
    request: Request,
    user_id: HotUserId,
    sessionmaker: SessionmakerDep,
    clock: ClockDep,
    settings: SettingsDep,
    review: ReviewPolicyDep,
) -> AsyncIterator[Starting]:
    """Admission first (a candidate in line costs one check and, with the sign-in from
    the per-process session cache, no database work), then the caller's overdue
    attempts submitted (committed on their own: a start must not find an attempt whose
    time ran out still open). The place is held until the request is over."""
    gate = admission(request)
    entry = await gate.enter(user_id, clock.now())
    if isinstance(entry, Waiting):
        raise AdmissionWait(entry)
    try:
        await service.sweep_overdue(
            sessionmaker,
            clock,
            timedelta(seconds=settings.deadline_grace_seconds),
            runner=runtime(request).jobs,
            scenarios=scenario_registry(request),
            review=review,
            user_id=user_id,
        )
        yield Starting(user_id, entry.arrived_at)
    finally:
        await gate.leave(entry, clock.now())


Starter = Annotated[Starting, Depends(admitted_starter)]


# Asks for a run of the given kind on a scenario item of the caller's attempt.
RunAsk = Callable[[service.RunKind, str], Awaitable[uuid.UUID]]


async def run_request(
    request: Request,
    attempt: OwnedAttempt,
    session: SessionDep,
    jobs: PendingJobsDep,
    clock: ClockDep,
    settings: SettingsDep,
    review: ReviewPolicyDep,
    client: ClientDep,
) -> RunAsk:
    """Everything a run request needs but its kind and item: both run routes (public
    checks, pipeline) take this and name their kind."""

    async def ask(kind: service.RunKind, ref: str) -> uuid.UUID:
        if attempt.status == AttemptStatus.in_progress:
            await proctoring_service.observe(session, clock, review, attempt.id, client)
        return await service.request_run(
            kind,
            session,
            clock,
            jobs,
            grace=timedelta(seconds=settings.deadline_grace_seconds),
            scenarios=scenario_registry(request),
            attempt=attempt,
            ref=ref,
        )

    return ask


RunRequest = Annotated[RunAsk, Depends(run_request)]


def admission(request: Request) -> AdmissionLine:
    gate: AdmissionLine = request.app.state.admission
    return gate


def attach_engine(app: FastAPI, engine: AsyncEngine) -> None:
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.state.autosave = AutosaveRepository(autocommit, driver_pool(engine))
    app.state.hot_reads = HotReads(autocommit, driver_pool(engine))


def autosave_repository(request: Request) -> AutosaveRepository:
    # Read directly by the hot path, not as a dependency (FastAPI solves those per request).
    repository: AutosaveRepository = request.app.state.autosave
    return repository


def hot_reads(request: Request) -> HotReads:
    reads: HotReads = request.app.state.hot_reads
    return reads
