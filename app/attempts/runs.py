"""Public-check runs a candidate asks for during a scenario."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.exceptions import (
    AttemptClosed,
    AttemptNotStarted,
    ItemNotFound,
    NoRunsLeft,
    RunNotFound,
)
from app.attempts.items import GRADE_RUN, scenario_for
from app.attempts.models import Attempt, AttemptStatus
from app.attempts.repository import (
    AttemptRepository,
)
from app.attempts.timing import has_started
from app.core.clock import Clock
from app.core.jobs import PendingJobs, Urgency
from app.grading import service as grading_service
from app.grading.scenarios import Scenario


async def scenario_for_run(
    repo: AttemptRepository,
    clock: Clock,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    attempt: Attempt,
    ref: str,
) -> Scenario:
    """The rules every run a candidate asks for obeys (public checks, pipeline): the
    attempt, locked, is still running (its deadline plus the grace), and ``ref`` is one
    of its scenario items. The scenario comes as this attempt's variant."""
    locked = await repo.get(attempt.id, for_update=True)
    now = clock.now()
    if (
        locked is None
        or locked.status != AttemptStatus.in_progress
        or locked.deadline_at <= now - grace
    ):
        raise AttemptClosed()
    if not has_started(locked, now):
        raise AttemptNotStarted()
    slot = await repo.item(attempt.id, ref)
    if slot is None or slot.scenario_id is None:
        raise ItemNotFound()
    return scenario_for(scenarios, slot)


async def saved_files(repo: AttemptRepository, attempt: Attempt, ref: str) -> dict[str, str]:
    """The candidate's saved edits of a scenario item (what a run works on)."""
    response = await repo.response(attempt.id, ref)
    return dict(response.files or {}) if response else {}


async def request_public_run(
    session: AsyncSession,
    clock: Clock,
    jobs: PendingJobs,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    attempt: Attempt,
    ref: str,
) -> uuid.UUID:
    """Queues a run of the public checks on the candidate's saved files."""
    repo = AttemptRepository(session)
    scenario = await scenario_for_run(
        repo, clock, grace=grace, scenarios=scenarios, attempt=attempt, ref=ref
    )
    if await grading_service.public_runs_used(session, attempt.id, ref) >= scenario.max_public_runs:
        raise NoRunsLeft()
    run = await grading_service.create_run(
        session,
        clock,
        attempt_id=attempt.id,
        ref=ref,
        kind="public",
        scenario=scenario,
        files=await saved_files(repo, attempt, ref),
        seed=secrets.randbits(31),
        params=scenario.params or None,
    )
    # A candidate is waiting on it: ahead of final gradings and upkeep.
    jobs.add(GRADE_RUN, {"run_id": str(run.id)}, urgency=Urgency.interactive)
    return run.id


@dataclass(frozen=True)
class RunView:
    status: str
    checks: list[tuple[str, bool, str]]


async def public_run_view(
    session: AsyncSession, attempt: Attempt, ref: str, run_id: uuid.UUID
) -> RunView:
    run = await grading_service.get_run(session, attempt.id, run_id)
    if run is None or run.ref != ref or run.kind != "public":
        raise RunNotFound()
    checks = [
        (c["name"], bool(c["passed"]), str(c["message"]))
        for c in (run.record or {}).get("checks", [])
        if c.get("public")
    ]
    return RunView(run.status, checks)
