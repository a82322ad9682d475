"""Pipeline runs as rows and as jobs: queued by the attempts domain, run here.

Like public-check runs (``service.py``): each run is a row; executing it is idempotent;
a run no sandbox would start is ``error`` and does not use up the candidate's budget.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import defer

from app.core.clock import Clock
from app.core.db import session_scope
from app.grading.exceptions import GradingUnavailable, IsolationUnavailable, SandboxStartError
from app.grading.models import PipelineRun
from app.grading.pipeline import run_pipeline
from app.grading.scenarios import Scenario

log = structlog.get_logger("assay.grading")
# The job that runs one pipeline run.
RUN_PIPELINE = "run_pipeline"
# A run still queued or running this long after it was asked for belonged to a process
# that stopped (a run itself ends within its scenario's limit, at most 120 s).
STALLED_AFTER = timedelta(minutes=5)


async def create_pipeline_run(
    session: AsyncSession,
    clock: Clock,
    *,
    attempt_id: uuid.UUID,
    ref: str,
    scenario: Scenario,
    files: dict[str, str],
) -> PipelineRun:
    assert scenario.entry is not None
    run = PipelineRun(
        id=uuid.uuid4(),
        attempt_id=attempt_id,
        ref=ref,
        status="queued",
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        entry=list(scenario.entry),
        files=files,
        params=dict(scenario.params) or None,
        attempts_made=0,
        timed_out=False,
        truncated=False,
        created_at=clock.now(),
    )
    session.add(run)
    await session.flush()
    return run


async def pipeline_runs_used(session: AsyncSession, attempt_id: uuid.UUID, ref: str) -> int:
    result = await session.execute(
        select(func.count()).where(
            PipelineRun.attempt_id == attempt_id,
            PipelineRun.ref == ref,
            PipelineRun.status != "error",
        )
    )
    return int(result.scalar_one())


async def get_pipeline_run(
    session: AsyncSession, attempt_id: uuid.UUID, run_id: uuid.UUID
) -> PipelineRun | None:
    run = await session.get(PipelineRun, run_id)
    return run if run is not None and run.attempt_id == attempt_id else None


async def pipeline_runs_of(session: AsyncSession, attempt_id: uuid.UUID) -> Sequence[PipelineRun]:
    """An attempt's pipeline runs in order, without their output and files (up to
    128 KiB of output a run, which the timeline does not show)."""
    result = await session.execute(
        select(PipelineRun)
        .where(PipelineRun.attempt_id == attempt_id)
        .order_by(PipelineRun.created_at)
        .options(
            defer(PipelineRun.stdout, raiseload=True),
            defer(PipelineRun.stderr, raiseload=True),
            defer(PipelineRun.files, raiseload=True),
        )
    )
    return result.scalars().all()


async def execute_pipeline_run(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    scenarios: Mapping[str, Scenario],
    run_id: uuid.UUID,
) -> PipelineRun | None:
    """The ``run_pipeline`` job: run it and store its output. A finished run is left."""
    async with session_scope(sessionmaker) as session:
        run = await session.get(PipelineRun, run_id, with_for_update=True)
        if run is None or run.status in ("done", "error"):
            return run
        run.status = "running"
        run.attempts_made += 1
        files = dict(run.files)
        params = run.params
        scenario = scenarios.get(run.scenario_id)

    output = None
    try:
        if scenario is None or scenario.entry is None:
            raise GradingUnavailable(f"scenario {run.scenario_id} has no pipeline here")
        # The candidate's own variant: the workspace their files belong to.
        output = await run_pipeline(scenario.variant(params) if params else scenario, files)
    except (GradingUnavailable, IsolationUnavailable, SandboxStartError) as exc:
        log.error("pipeline run could not start", run_id=str(run_id), error=exc.message)

    async with session_scope(sessionmaker) as session:
        stored = await session.get(PipelineRun, run_id, with_for_update=True)
        if stored is None:
            return None
        stored.finished_at = clock.now()
        if output is None:
            stored.status = "error"
            return stored
        stored.status = "done"
        stored.exit_code = output.exit_code
        stored.timed_out = output.timed_out
        stored.stdout = output.stdout
        stored.stderr = output.stderr
        stored.truncated = output.truncated
        stored.duration_ms = output.duration_ms
        return stored


async def run_pipeline_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    scenarios: Mapping[str, Scenario],
    payload: dict[str, Any],
) -> None:
    await execute_pipeline_run(sessionmaker, clock, scenarios, uuid.UUID(payload["run_id"]))


async def give_up_stalled(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    """Marks runs left queued or running by a stopped process as ``error``: they stop
    counting against the candidate's budget and the page stops waiting for them. (A
    pipeline's output is only ever shown, so there is nothing to redo.)"""
    now = clock.now()
    async with session_scope(sessionmaker) as session:
        result = await session.execute(
            update(PipelineRun)
            .where(
                PipelineRun.status.in_(("queued", "running")),
                PipelineRun.created_at < now - STALLED_AFTER,
            )
            .values(status="error", finished_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)
