"""Routes that take ``OwnedAttempt`` cannot forget the ownership check: someone else's
attempt is a 404, exactly like one that does not exist; ``StartedAttempt`` adds that its
clock has started (409 ``attempt_not_started`` before a sitting's start). The autosave repository is the
app's own (``attach_engine``): it holds the batches of saves in flight."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from app.attempts import service
from app.attempts.admission import Admission
from app.attempts.exceptions import AttemptNotStarted
from app.attempts.models import Attempt
from app.attempts.repository import AutosaveRepository
from app.core.db import driver_pool
from app.core.deps import ClockDep, SessionDep, SessionmakerDep, SettingsDep, runtime
from app.grading.dependencies import scenario_registry
from app.identity.dependencies import CurrentUserId
from app.proctoring.dependencies import ReviewPolicyDep


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


async def swept_user_id(
    request: Request,
    user_id: CurrentUserId,
    sessionmaker: SessionmakerDep,
    clock: ClockDep,
    settings: SettingsDep,
    review: ReviewPolicyDep,
) -> uuid.UUID:
    """The caller, whose overdue attempts are submitted first (committed on their own):
    a start must not find an attempt whose time ran out still open."""
    await service.sweep_overdue(
        sessionmaker,
        clock,
        timedelta(seconds=settings.deadline_grace_seconds),
        runner=runtime(request).jobs,
        scenarios=scenario_registry(request),
        review=review,
        user_id=user_id,
    )
    return user_id


# A caller about to start an attempt (a start, a check-in, a renewal).
StartingUserId = Annotated[uuid.UUID, Depends(swept_user_id)]


def admission(request: Request) -> Admission:
    gate: Admission = request.app.state.admission
    return gate


def attach_engine(app: FastAPI, engine: AsyncEngine) -> None:
    app.state.autosave = AutosaveRepository(
        engine.execution_options(isolation_level="AUTOCOMMIT"), driver_pool(engine)
    )


def autosave_repository(request: Request) -> AutosaveRepository:
    # Read directly by the hot path, not as a dependency (FastAPI solves those per request).
    repository: AutosaveRepository = request.app.state.autosave
    return repository
