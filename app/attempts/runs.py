"""Public-check runs a candidate asks for during a scenario."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
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
from app.core.errors import AssayError
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


@dataclass(frozen=True)
class RunKind:
    """What sets one kind of run a candidate asks for apart from another (public checks,
    the pipeline): the rest, the rules and the order of the steps, is ``request_run``."""

    # The job that runs it; every such run is interactive, a candidate waits on it.
    job: str
    # The item's budget in this scenario, and how much of it is used (runs the sandbox
    # could not start are not counted).
    budget: Callable[[Scenario], int]
    used: Callable[[AsyncSession, uuid.UUID, str], Awaitable[int]]
    # Raised when the budget is used up.
    exhausted: type[AssayError]
    # Stores the queued run and returns its id.
    create: Callable[
        [AsyncSession, Clock, Attempt, str, Scenario, dict[str, str]], Awaitable[uuid.UUID]
    ]
    # Raises when this scenario has nothing of this kind to run.
    check: Callable[[Scenario], None] = lambda scenario: None


async def request_run(
    kind: RunKind,
    session: AsyncSession,
    clock: Clock,
    jobs: PendingJobs,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    attempt: Attempt,
    ref: str,
) -> uuid.UUID:
    """Queues a run of ``kind`` on the candidate's saved files."""
    repo = AttemptRepository(session)
    scenario = await scenario_for_run(
        repo, clock, grace=grace, scenarios=scenarios, attempt=attempt, ref=ref
    )
    kind.check(scenario)
    if await kind.used(session, attempt.id, ref) >= kind.budget(scenario):
        raise kind.exhausted()
    run_id = await kind.create(
        session, clock, attempt, ref, scenario, await saved_files(repo, attempt, ref)
    )
    # A candidate is waiting on it: ahead of final gradings and upkeep.
    jobs.add(kind.job, {"run_id": str(run_id)}, urgency=Urgency.interactive)
    return run_id


async def runs_left(
    kind: RunKind, session: AsyncSession, attempt: Attempt, ref: str, scenario: Scenario
) -> int:
    try:
        kind.check(scenario)
    except AssayError:
        return 0
    return max(0, kind.budget(scenario) - await kind.used(session, attempt.id, ref))


async def _create_public_run(
    session: AsyncSession,
    clock: Clock,
    attempt: Attempt,
    ref: str,
    scenario: Scenario,
    files: dict[str, str],
) -> uuid.UUID:
    run = await grading_service.create_run(
        session,
        clock,
        attempt_id=attempt.id,
        ref=ref,
        kind="public",
        scenario=scenario,
        files=files,
        seed=secrets.randbits(31),
        params=scenario.params or None,
    )
    return run.id


# The public checks, graded like the final grading but only the public checks shown.
PUBLIC_CHECKS = RunKind(
    job=GRADE_RUN,
    budget=lambda scenario: scenario.max_public_runs,
    used=grading_service.public_runs_used,
    exhausted=NoRunsLeft,
    create=_create_public_run,
)


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
