"""Pipeline runs a candidate asks for during a scenario: the workspace's entry command
on their saved files, in the sandbox; the output is shown to them, never judged.

Asked for like public-check runs (``runs.request_run`` with ``PIPELINE``): the attempt
must be running, the item one of its scenarios; a budget of its own per item
(``max_pipeline_runs``), where a run the sandbox could not start is not counted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.exceptions import NoPipeline, NoPipelineRunsLeft, RunNotFound
from app.attempts.models import Attempt
from app.attempts.runs import RunKind
from app.core.clock import Clock
from app.grading import pipeline_runs
from app.grading.pipeline import command_line
from app.grading.scenarios import Scenario


def _has_pipeline(scenario: Scenario) -> None:
    if scenario.entry is None:
        raise NoPipeline()


async def _create_pipeline_run(
    session: AsyncSession,
    clock: Clock,
    attempt: Attempt,
    ref: str,
    scenario: Scenario,
    files: dict[str, str],
) -> uuid.UUID:
    run = await pipeline_runs.create_pipeline_run(
        session, clock, attempt_id=attempt.id, ref=ref, scenario=scenario, files=files
    )
    return run.id


# The scenario's entry command, its output shown and never judged.
PIPELINE = RunKind(
    job=pipeline_runs.RUN_PIPELINE,
    budget=lambda scenario: scenario.max_pipeline_runs,
    used=pipeline_runs.pipeline_runs_used,
    exhausted=NoPipelineRunsLeft,
    create=_create_pipeline_run,
    check=_has_pipeline,
)


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
