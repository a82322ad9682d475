r"""The attempts domain's surface for routers and other domains: the life of an attempt.

    (checked_in: in_progress before its sitting's start, see timing.py)
    in_progress --submit / deadline--> submitted --score--> scored
                                  \--scenarios--> grading --/   \--> under_review --> scored
                                                                 (a held pass, until a
                                                                  proctor decides)

The deadline is fixed at start and kept by the server; every write checks it in the
statement that writes. Answers the server acknowledged are exactly what is scored.
The work lives in one module per step (start, answers, runs, pipeline, closing, views,
sweeper);
this module gathers what callers outside each step use, and the lookups of attempts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.answers import Saved, save_response
from app.attempts.closing import (
    finish_grading,
    form_result,
    issue_for_pass,
    release_review,
    score_attempt,
    submit,
)
from app.attempts.exceptions import (
    AttemptClosed,
    AttemptNotFound,
)
from app.attempts.items import GRADE_RUN, scenario_variant
from app.attempts.models import Attempt, AttemptStatus
from app.attempts.pipeline import PIPELINE, PipelineRunView, pipeline_run_view
from app.attempts.repository import (
    AttemptRepository,
)
from app.attempts.runs import PUBLIC_CHECKS, RunKind, RunView, public_run_view, request_run
from app.attempts.start import (
    Eligibility,
    ReadAlready,
    StartedAttempt,
    eligibility,
    start_attempt,
)
from app.attempts.sweeper import requeue_stalled_gradings, run_grading_job, sweep_overdue
from app.attempts.timing import Scheduled, has_started, public_status, remaining_seconds
from app.attempts.views import (
    AttemptView,
    McqView,
    ResultView,
    ScenarioView,
    StateView,
    attempt_view,
    mcq_view,
    result_view,
    scenario_view,
    state_view,
)
from app.core.clock import Clock

__all__ = [
    "GRADE_RUN",
    "PIPELINE",
    "PUBLIC_CHECKS",
    "AttemptView",
    "Eligibility",
    "McqView",
    "PipelineRunView",
    "ReadAlready",
    "ResultView",
    "RunKind",
    "RunView",
    "Saved",
    "ScenarioView",
    "Scheduled",
    "StartedAttempt",
    "StateView",
    "attempt_view",
    "attempts_by_id",
    "cancel_sitting_attempts",
    "eligibility",
    "extend_deadline",
    "finish_grading",
    "form_result",
    "get_attempt",
    "has_started",
    "issue_for_pass",
    "mcq_view",
    "move_sitting_clocks",
    "owned_attempt",
    "pipeline_run_view",
    "public_run_view",
    "public_status",
    "release_review",
    "remaining_seconds",
    "request_run",
    "requeue_stalled_gradings",
    "result_view",
    "run_grading_job",
    "running_attempt_ids",
    "save_response",
    "scenario_variant",
    "scenario_view",
    "score_attempt",
    "sitting_attempt_ids",
    "sitting_candidates",
    "start_attempt",
    "state_view",
    "submit",
    "sweep_overdue",
]


async def owned_attempt(
    session: AsyncSession, user_id: uuid.UUID, attempt_id: uuid.UUID
) -> Attempt:
    attempt = await AttemptRepository(session).get_owned(attempt_id, user_id)
    if attempt is None:
        raise AttemptNotFound()
    return attempt


async def get_attempt(
    session: AsyncSession, attempt_id: uuid.UUID, *, for_update: bool = False
) -> Attempt:
    """Any candidate's attempt (for proctors); AttemptNotFound if there is none."""
    attempt = await AttemptRepository(session).get(attempt_id, for_update=for_update)
    if attempt is None:
        raise AttemptNotFound()
    return attempt


async def attempts_by_id(
    session: AsyncSession, attempt_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Attempt]:
    return {a.id: a for a in await AttemptRepository(session).by_ids(attempt_ids)}


async def sitting_attempt_ids(
    session: AsyncSession, user_id: uuid.UUID, sitting_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The user's attempt in each of these sittings they checked in to."""
    return await AttemptRepository(session).in_sittings(user_id, sitting_ids)


async def move_sitting_clocks(
    session: AsyncSession, sitting_id: uuid.UUID, old_start: datetime, new_start: datetime
) -> int:
    """A sitting moved before its start: the clock of every attempt checked in to it
    starts at ``new_start`` instead, with the same length (duration and extra time).
    Returns how many moved."""
    return await AttemptRepository(session).move_sitting_clocks(sitting_id, old_start, new_start)


async def sitting_candidates(session: AsyncSession, sitting_id: uuid.UUID) -> list[uuid.UUID]:
    """The candidates whose attempt in the sitting is still running or checked in."""
    return await AttemptRepository(session).checked_in_users(sitting_id)


async def cancel_sitting_attempts(
    session: AsyncSession, sitting_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """A sitting cancelled before its start: every attempt checked in to it is
    ``cancelled`` (no score, no certificate, counted in no rule of a later start).
    Returns (attempt id, candidate) of each."""
    return await AttemptRepository(session).cancel_in_sitting(sitting_id)


async def running_attempt_ids(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    return list(await AttemptRepository(session).running_ids(user_id))


async def extend_deadline(
    session: AsyncSession, clock: Clock, attempt: Attempt, minutes: int, *, grace: timedelta
) -> Attempt:
    """Moves a running attempt's deadline (``attempt`` locked by the caller). The
    candidate's clock follows at its next sync; autosave judges the new deadline at once."""
    if attempt.status != AttemptStatus.in_progress or attempt.deadline_at + grace <= clock.now():
        raise AttemptClosed("This attempt is no longer running; its time cannot be extended.")
    attempt.deadline_at += timedelta(minutes=minutes)
    await session.flush()
    return attempt
