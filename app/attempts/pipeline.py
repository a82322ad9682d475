"""Pipeline runs a candidate asks for during a scenario: the workspace's entry command
on their saved files, in the sandbox; the output is shown to them, never judged.

Same rules as public-check runs (``runs.scenario_for_run``): the attempt must be
running, the item one of its scenarios; a budget of its own per item
(``max_pipeline_runs``), where a run the sandbox could not start is not counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.exceptions import NoPipeline, NoPipelineRunsLeft, RunNotFound
from app.attempts.models import Attempt
from app.attempts.repository import AttemptRepository
from app.attempts.runs import saved_files, scenario_for_run
from app.core.clock import Clock
from app.core.jobs import PendingJobs
from app.grading import pipeline_runs
from app.grading.pipeline import command_line
from app.grading.scenarios import Scenario


async def request_pipeline_run(
    session: AsyncSession,
    clock: Clock,
    jobs: PendingJobs,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    attempt: Attempt,
    ref: str,
) -> uuid.UUID:
    """Queues a run of the scenario's entry command on the candidate's saved files."""
    repo = AttemptRepository(session)
    scenario = await scenario_for_run(
        repo, clock, grace=grace, scenarios=scenarios, attempt=attempt, ref=ref
    )
    if scenario.entry is None:
        raise NoPipeline()
    used = await pipeline_runs.pipeline_runs_used(session, attempt.id, ref)
    if used >= scenario.max_pipeline_runs:
        raise NoPipelineRunsLeft()
    run = await pipeline_runs.create_pipeline_run(
        session,
        clock,
        attempt_id=attempt.id,
        ref=ref,
        scenario=scenario,
        files=await saved_files(repo, attempt, ref),
    )
    jobs.add(pipeline_runs.RUN_PIPELINE, {"run_id": str(run.id)})
    return run.id


@dataclass(frozen=True)
class PipelineRunView:
    status: str
    command: str
    exit_code: int | None
    timed_out: bool
    stdout: str
    stderr: str
    truncated: bool
    duration_ms: int | None


async def pipeline_run_view(
    session: AsyncSession, attempt: Attempt, ref: str, run_id: uuid.UUID
) -> PipelineRunView:
    run = await pipeline_runs.get_pipeline_run(session, attempt.id, run_id)
    if run is None or run.ref != ref:
        raise RunNotFound()
    return PipelineRunView(
        status=run.status,
        command=command_line(tuple(run.entry)),
        exit_code=run.exit_code,
        timed_out=run.timed_out,
        stdout=run.stdout or "",
        stderr=run.stderr or "",
        truncated=run.truncated,
        duration_ms=run.duration_ms,
    )


async def pipeline_runs_left(
    session: AsyncSession, attempt: Attempt, ref: str, scenario: Scenario
) -> int:
    if scenario.entry is None:
        return 0
    used = await pipeline_runs.pipeline_runs_used(session, attempt.id, ref)
    return max(0, scenario.max_pipeline_runs - used)
