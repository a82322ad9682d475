"""Scenario runs: the public-check runs a candidate asks for during the attempt, and the
final hidden grading at submit. Each run is a row; executing it is idempotent.

An infrastructure failure (no sandbox could start, the job stopped or timed out) is
never the candidate's: a public run that cannot be graded is marked ``error`` and does
not use up a run; a final grading goes back to ``queued`` and is tried again (the job
engine's backoff, the recovery pass) up to ``MAX_FINAL_TRIES`` times, then marked
``error``: stuck, shown to proctors and admins, and "grading delayed" to the candidate,
never a score.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import Clock
from app.core.db import session_scope
from app.grading.corrections import CheckCorrection, CheckCorrections, corrected_score
from app.grading.exceptions import (
    GradingUnavailable,
    IsolationUnavailable,
    SandboxStartError,
    ScenarioInvalid,
    SubmissionRejected,
)
from app.grading.grader import default_sandbox, grade_submission
from app.grading.models import CheckCorrectionRow, ScenarioRun
from app.grading.scenarios import Scenario, load_scenarios

log = structlog.get_logger("assay.grading")
MAX_FINAL_TRIES = 5


async def sandbox_status() -> tuple[bool, dict[str, str]]:
    """The grading sandbox as ``/readyz`` reports it: ready or not, and its layer and
    limits (or why there is none). Detected once, off the event loop."""
    try:
        sandbox = await asyncio.to_thread(default_sandbox)
    except (IsolationUnavailable, SandboxStartError) as exc:
        return False, {"layer": "none", "problem": exc.message}
    return True, dict(sandbox.details)


def load_registry(root: Path) -> dict[str, Scenario]:
    """The scenarios an exam can draw, loaded once at start; none if the folder is absent."""
    return load_scenarios(root) if root.is_dir() else {}


async def create_run(
    session: AsyncSession,
    clock: Clock,
    *,
    attempt_id: uuid.UUID,
    ref: str,
    kind: str,
    scenario: Scenario,
    files: dict[str, str],
    seed: int,
    params: Mapping[str, Any] | None = None,
) -> ScenarioRun:
    run = ScenarioRun(
        id=uuid.uuid4(),
        attempt_id=attempt_id,
        ref=ref,
        kind=kind,
        status="queued",
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        seed=seed,
        files=files,
        params=dict(params) if params else None,
        attempts_made=0,
        created_at=clock.now(),
    )
    session.add(run)
    await session.flush()
    return run


async def public_runs_used(session: AsyncSession, attempt_id: uuid.UUID, ref: str) -> int:
    result = await session.execute(
        select(func.count()).where(
            ScenarioRun.attempt_id == attempt_id,
            ScenarioRun.ref == ref,
            ScenarioRun.kind == "public",
            ScenarioRun.status != "error",
        )
    )
    return int(result.scalar_one())


async def get_run(
    session: AsyncSession, attempt_id: uuid.UUID, run_id: uuid.UUID
) -> ScenarioRun | None:
    run = await session.get(ScenarioRun, run_id)
    return run if run is not None and run.attempt_id == attempt_id else None


async def runs_of(session: AsyncSession, attempt_id: uuid.UUID) -> Sequence[ScenarioRun]:
    result = await session.execute(
        select(ScenarioRun)
        .where(ScenarioRun.attempt_id == attempt_id)
        .order_by(ScenarioRun.created_at)
    )
    return result.scalars().all()


async def final_scores(session: AsyncSession, attempt_id: uuid.UUID) -> dict[str, Fraction] | None:
    """Each scenario item's final score (under the check corrections in force), or None
    while any is still being graded."""
    runs = [r for r in await runs_of(session, attempt_id) if r.kind == "final"]
    if any(r.status != "done" or r.score is None for r in runs):
        return None
    corrections = await check_corrections(session)
    return {r.ref: _final_score(r, corrections) for r in runs if r.score is not None}


def _final_score(run: ScenarioRun, corrections: CheckCorrections) -> Fraction:
    return corrected_score(
        run.record, run.score, run.scenario_id, run.scenario_version, corrections
    )


async def final_scores_of(
    session: AsyncSession,
    attempt_ids: Sequence[uuid.UUID],
    *,
    proposed: CheckCorrection | None = None,
) -> dict[uuid.UUID, dict[str, Fraction]]:
    """The final scores of many scored attempts at once (a regrade rescoring a batch),
    exactly as ``final_scores`` gives them for one; ``proposed`` is put in force on top
    of the corrections already there (a regrade's preview)."""
    result = await session.execute(
        select(ScenarioRun).where(
            ScenarioRun.attempt_id.in_(attempt_ids),
            ScenarioRun.kind == "final",
            ScenarioRun.status == "done",
        )
    )
    corrections = (await check_corrections(session)).with_correction(proposed)
    scores: dict[uuid.UUID, dict[str, Fraction]] = {}
    for run in result.scalars():
        if run.score is not None:
            scores.setdefault(run.attempt_id, {})[run.ref] = _final_score(run, corrections)
    return scores


async def check_corrections(session: AsyncSession) -> CheckCorrections:
    """The check corrections in force (a handful: one per regraded check)."""
    rows = (await session.execute(select(CheckCorrectionRow))).scalars()
    return CheckCorrections(
        CheckCorrection(r.scenario_id, r.check_name, r.up_to_version, r.change) for r in rows
    )


async def correct_check(session: AsyncSession, clock: Clock, correction: CheckCorrection) -> None:
    """From now on final scores are computed under ``correction`` (a regrade)."""
    row = await session.get(
        CheckCorrectionRow, (correction.scenario_id, correction.check), with_for_update=True
    )
    if row is None:
        row = CheckCorrectionRow(scenario_id=correction.scenario_id, check_name=correction.check)
        session.add(row)
    row.up_to_version = correction.up_to_version
    row.change = correction.change
    row.at = clock.now()
    await session.flush()


async def stalled_runs(
    session: AsyncSession, created_before: datetime
) -> Sequence[tuple[uuid.UUID, str]]:
    """Runs (id, kind) still queued or running since before ``created_before``."""
    result = await session.execute(
        select(ScenarioRun.id, ScenarioRun.kind).where(
            ScenarioRun.status.in_(("queued", "running")),
            ScenarioRun.created_at < created_before,
        )
    )
    return [(run_id, kind) for run_id, kind in result.all()]


async def stuck_final_runs(session: AsyncSession, limit: int) -> Sequence[ScenarioRun]:
    """Final gradings given up after every try: the oldest first."""
    result = await session.execute(
        select(ScenarioRun)
        .where(ScenarioRun.kind == "final", ScenarioRun.status == "error")
        .order_by(ScenarioRun.created_at)
        .limit(limit)
    )
    return result.scalars().all()


async def count_stuck_final_runs(session: AsyncSession) -> int:
    result = await session.execute(
        select(func.count()).where(ScenarioRun.kind == "final", ScenarioRun.status == "error")
    )
    return int(result.scalar_one())


async def reopen_stuck_final_runs(session: AsyncSession) -> list[uuid.UUID]:
    """Gives every stuck final grading a fresh set of tries (once the graders are fixed);
    the caller queues them again."""
    result = await session.execute(
        select(ScenarioRun)
        .where(ScenarioRun.kind == "final", ScenarioRun.status == "error")
        .with_for_update()
    )
    runs = result.scalars().all()
    for run in runs:
        run.status, run.attempts_made, run.finished_at = "queued", 0, None
    await session.flush()
    return [run.id for run in runs]


async def grading_delayed(session: AsyncSession, attempt_id: uuid.UUID) -> bool:
    """Whether a final grading of the attempt is stuck (what the candidate is told)."""
    result = await session.execute(
        select(func.count()).where(
            ScenarioRun.attempt_id == attempt_id,
            ScenarioRun.kind == "final",
            ScenarioRun.status == "error",
        )
    )
    return int(result.scalar_one()) > 0


async def execute_run(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    scenarios: Mapping[str, Scenario],
    run_id: uuid.UUID,
) -> ScenarioRun | None:
    """Grade one run and store its record. Safe to call twice: a finished run is left."""
    async with session_scope(sessionmaker) as session:
        run = await session.get(ScenarioRun, run_id, with_for_update=True)
        if run is None or run.status in ("done", "error"):
            return run
        if run.kind == "final" and run.attempts_made >= MAX_FINAL_TRIES:
            # Every try ended without a verdict (stopped, killed, timed out): stuck.
            log.error("grading given up as stuck", run_id=str(run_id), tries=run.attempts_made)
            run.status = "error"
            run.finished_at = clock.now()
            return run
        run.status = "running"
        run.attempts_made += 1
        kind, files = run.kind, dict(run.files)
        params = dict(run.params) if run.params else None
        scenario = scenarios.get(run.scenario_id)

    status, record, score = "done", None, None
    try:
        if scenario is None:
            raise ScenarioInvalid(f"scenario {run.scenario_id} is no longer installed")
        result = await grade_submission(
            scenario, files, params=params, public_only=kind == "public"
        )
        record, score = result.to_dict(), result.score
    except SubmissionRejected as exc:
        # Saved files are checked on save; this is a file the rules changed since.
        record, score = {"rejected": exc.message}, 0.0
    except (GradingUnavailable, ScenarioInvalid) as exc:
        log.error("grading could not run", run_id=str(run_id), error=exc.message)
        status = "error" if kind == "public" or run.attempts_made >= MAX_FINAL_TRIES else "queued"

    async with session_scope(sessionmaker) as session:
        stored = await session.get(ScenarioRun, run_id, with_for_update=True)
        if stored is None:
            return None
        stored.status = status
        stored.record = record
        stored.score = score
        stored.finished_at = clock.now() if status != "queued" else None
        return stored
