"""Background work of the attempts domain: submitting overdue attempts, requeueing
stalled gradings, and the grading job itself."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.closing import close_attempt, finish_grading
from app.attempts.items import GRADE_RUN
from app.attempts.models import AttemptStatus
from app.attempts.repository import (
    AttemptRepository,
)
from app.core.clock import Clock
from app.core.db import session_scope
from app.core.jobs import JobPort, PendingJobs, RetryLater, Urgency
from app.grading import service as grading_service
from app.grading.scenarios import Scenario
from app.proctoring.signals import ReviewPolicy

MAX_SWEEP_BATCH = 200
STALLED_GRADING_AFTER = timedelta(minutes=2)


async def sweep_overdue(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    grace: timedelta,
    *,
    runner: JobPort,
    scenarios: Mapping[str, Scenario],
    review: ReviewPolicy,
    user_id: uuid.UUID | None = None,
) -> int:
    """Submits every attempt whose deadline (plus grace) has passed, each in its own
    transaction, so no attempt waits for its candidate to come back. With ``user_id``,
    only that candidate's: done before they start again, so an attempt that ran out
    counts (and is scored) whatever the new request's outcome."""
    async with session_scope(sessionmaker) as session:
        ids = await AttemptRepository(session).overdue_ids(
            clock.now() - grace, MAX_SWEEP_BATCH, user_id=user_id
        )
    submitted = 0
    for attempt_id in ids:
        jobs = PendingJobs()
        async with session_scope(sessionmaker) as session:
            attempt = await AttemptRepository(session).get(attempt_id, for_update=True)
            if attempt is None or attempt.status != AttemptStatus.in_progress:
                continue  # submitted meanwhile by its candidate
            await close_attempt(
                session, clock, jobs, scenarios, review, attempt, submitted_by="deadline"
            )
            submitted += 1
        await jobs.send(runner)
    return submitted


async def requeue_stalled_gradings(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    runner: JobPort,
    *,
    scenarios: Mapping[str, Scenario],
    review: ReviewPolicy,
) -> int:
    """Runs still queued or running after a while whose job is no longer pending
    (``JobPort.is_pending``: its process or worker stopped, it ran past its time limit,
    it was lost between commit and defer, or its retries ran out) are run again; a run
    whose job is waiting its turn or running within its limit is left to it, however long
    the queue. Grading is idempotent.
    An attempt whose gradings are all done but which was never scored (its process
    stopped in between) is scored now: each in its own transaction, once
    (``finish_grading`` scores only an attempt still ``grading``, under its row lock)."""
    async with session_scope(sessionmaker) as session:
        stalled = await grading_service.stalled_runs(session, clock.now() - STALLED_GRADING_AFTER)
        unscored = await AttemptRepository(session).graded_unscored_ids(MAX_SWEEP_BATCH)
    requeued = 0
    for run_id, kind in stalled:
        payload = {"run_id": str(run_id)}
        if await runner.is_pending(GRADE_RUN, payload):
            continue
        urgency = Urgency.interactive if kind == "public" else Urgency.grading
        await runner.submit(GRADE_RUN, payload, urgency=urgency)
        requeued += 1
    for attempt_id in unscored:
        async with session_scope(sessionmaker) as session:
            await finish_grading(session, clock, attempt_id, scenarios=scenarios, review=review)
    return requeued + len(unscored)


async def run_grading_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    scenarios: Mapping[str, Scenario],
    payload: dict[str, Any],
    *,
    review: ReviewPolicy,
) -> None:
    """The ``grade_run`` job: grade one run; after a final grading, score the attempt if
    it was the last one."""
    run = await grading_service.execute_run(
        sessionmaker, clock, scenarios, uuid.UUID(payload["run_id"])
    )
    if run is not None and run.status == "queued":
        # The sandbox would not start: tried again after a backoff, never scored.
        raise RetryLater(f"grading {run.id} could not run (try {run.attempts_made})")
    if run is not None and run.kind == "final" and run.status == "done":
        async with session_scope(sessionmaker) as session:
            await finish_grading(session, clock, run.attempt_id, scenarios=scenarios, review=review)
