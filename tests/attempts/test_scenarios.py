"""Scenario items inside an exam: the workspace, autosave of files, public-check runs,
hidden grading at submit through the job port, and the attempt scored after it."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts import service as attempts_service
from app.attempts.items import GRADE_RUN, scenario_for
from app.attempts.models import AttemptItem
from app.core.clock import Clock, ManualClock
from app.core.db import session_scope
from app.core.jobs import PendingJobs
from app.grading import service as grading_service
from app.grading.exceptions import SandboxStartError
from app.grading.scenarios import Scenario
from app.identity.models import Role
from app.proctoring import dependencies as proctoring_deps
from tests.attempts.helpers import keyed_labels
from tests.conftest import Candidate
from tests.proctoring.conftest import staff_member
from tests.web.test_router import HTML, browser_sign_in


async def _start(candidate: Candidate) -> tuple[dict[str, Any], str]:
    r = await candidate.post("/api/v1/exams/test-practical/attempts")
    assert r.status_code == 201, r.text
    attempt = r.json()
    [scenario_ref] = [i["ref"] for i in attempt["items"] if i["kind"] == "scenario"]
    return attempt, scenario_ref


async def _recover(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> int:
    """One recovery pass, as the periodic job runs it."""
    return await attempts_service.requeue_stalled_gradings(
        sessionmaker,
        clock,
        app.state.jobs,
        scenarios=app.state.scenarios,
        review=proctoring_deps.review_policy(app),
    )


async def _scenario(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession], attempt_id: str, ref: str
) -> Scenario:
    """The scenario as this attempt got it: a scenario with parameters is rendered with
    the attempt's variant, so its files and its solution are this candidate's."""
    async with sessionmaker() as session:
        slot = await session.get(AttemptItem, (uuid.UUID(attempt_id), ref))
    assert slot is not None
    return scenario_for(app.state.scenarios, slot)


async def _answer_mcq(
    candidate: Candidate, sessionmaker: async_sessionmaker[AsyncSession], attempt: dict[str, Any]
) -> None:
    keys = await keyed_labels(sessionmaker, attempt["id"])
    for ref, labels in keys.items():
        r = await candidate.put(
            f"/api/v1/attempts/{attempt['id']}/responses/{ref}", json={"choices": labels, "seq": 1}
        )
        assert r.status_code == 200


async def test_a_scenario_is_worked_on_run_and_graded(
    app: FastAPI,
    candidate: Candidate,
    practical: None,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    attempt, ref = await _start(candidate)
    base = f"/api/v1/attempts/{attempt['id']}"
    item = (await candidate.get(f"{base}/items/{ref}")).json()
    assert item["kind"] == "scenario"
    scenario = await _scenario(app, sessionmaker, attempt["id"], ref)
    assert item["title"] == scenario.title
    assert item["files"] == scenario.workspace_files
    assert item["editable"] == scenario.editable
    assert item["public_checks"] == [c.name for c in scenario.public_checks]
    assert item["runs_left"] == scenario.max_public_runs
    # Nothing hidden is shown: not the solution, not the hidden checks.
    for text in scenario.solution_files.values():
        if text not in scenario.workspace_files.values():
            assert text not in str(item)
    for check in scenario.checks:
        if not check.public:
            assert check.name not in str(item)

    refused = await candidate.put(
        f"{base}/responses/{ref}", json={"files": {"../checks/judge.py": "x"}, "seq": 1}
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_answer"
    editable_solution = {p: t for p, t in scenario.solution_files.items() if p in scenario.editable}
    saved = await candidate.put(
        f"{base}/responses/{ref}", json={"files": editable_solution, "seq": 1}
    )
    assert saved.status_code == 200
    assert (await candidate.get(f"{base}/items/{ref}")).json()["files"] == {
        **scenario.workspace_files,
        **editable_solution,
    }

    queued = await candidate.post(f"{base}/scenarios/{ref}/runs")
    assert queued.status_code == 202
    run_id = queued.json()["run_id"]
    await app.state.jobs.drain()
    run = (await candidate.get(f"{base}/scenarios/{ref}/runs/{run_id}")).json()
    assert run["status"] == "done"
    assert [c["name"] for c in run["checks"]] == [c.name for c in scenario.public_checks]
    assert all(c["passed"] for c in run["checks"])
    assert (await candidate.get(f"{base}/items/{ref}")).json()[
        "runs_left"
    ] == scenario.max_public_runs - 1

    await _answer_mcq(candidate, sessionmaker, attempt)
    submitted = await candidate.post(f"{base}/submit")
    assert submitted.json()["status"] == "grading"
    pending = (await candidate.get(f"{base}/result")).json()
    assert pending["status"] == "grading" and pending["score"] is None
    await app.state.jobs.drain()
    result = (await candidate.get(f"{base}/result")).json()
    assert result["status"] == "scored"
    assert result["sections"] == [
        {"kind": "mcq", "score": 1.0, "weight": 0.5},
        {"kind": "scenario", "score": 1.0, "weight": 0.5},
    ]
    assert result["passed"] is True and result["certificate_id"]


async def test_the_workspace_as_given_does_not_pass(
    app: FastAPI, candidate: Candidate, practical: None
) -> None:
    attempt, _ = await _start(candidate)
    await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    await app.state.jobs.drain()
    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    scenario_score = result["sections"][1]["score"]
    assert result["status"] == "scored"
    assert scenario_score < 1.0
    assert result["passed"] is False


async def test_runs_are_limited(app: FastAPI, candidate: Candidate, practical: None) -> None:
    attempt, ref = await _start(candidate)
    base = f"/api/v1/attempts/{attempt['id']}"
    allowed = (await candidate.get(f"{base}/items/{ref}")).json()["runs_left"]
    for _ in range(allowed):
        assert (await candidate.post(f"{base}/scenarios/{ref}/runs")).status_code == 202
    await app.state.jobs.drain()
    refused = await candidate.post(f"{base}/scenarios/{ref}/runs")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "no_runs_left"


async def test_a_run_the_grader_could_not_start_is_not_counted(
    app: FastAPI, candidate: Candidate, practical: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise SandboxStartError("no sandbox")

    monkeypatch.setattr(grading_service, "grade_submission", broken)
    attempt, ref = await _start(candidate)
    base = f"/api/v1/attempts/{attempt['id']}"
    before = (await candidate.get(f"{base}/items/{ref}")).json()["runs_left"]
    run_id = (await candidate.post(f"{base}/scenarios/{ref}/runs")).json()["run_id"]
    await app.state.jobs.drain()
    run = (await candidate.get(f"{base}/scenarios/{ref}/runs/{run_id}")).json()
    assert run == {"status": "error", "checks": []}
    assert (await candidate.get(f"{base}/items/{ref}")).json()["runs_left"] == before


async def test_final_grading_waits_for_the_grader_and_is_retried(
    app: FastAPI,
    candidate: Candidate,
    practical: None,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = grading_service.grade_submission

    async def broken(*args: object, **kwargs: object) -> None:
        raise SandboxStartError("no sandbox")

    monkeypatch.setattr(grading_service, "grade_submission", broken)
    attempt, _ = await _start(candidate)
    await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    await app.state.jobs.drain()
    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    assert result["status"] == "grading"  # kept, never scored as a zero

    monkeypatch.setattr(grading_service, "grade_submission", real)
    clock.advance(minutes=3)
    assert await _recover(app, sessionmaker, clock) == 1
    await app.state.jobs.drain()
    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    assert result["status"] == "scored"


async def test_a_long_grading_whose_job_still_runs_is_not_requeued(
    app: FastAPI,
    candidate: Candidate,
    practical: None,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A grading still running (or waiting its turn) long after it was asked for is
    left to its job, pass after pass: graded once, not once per pass."""
    real = grading_service.grade_submission
    running, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def slow(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        running.set()
        await release.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(grading_service, "grade_submission", slow)
    attempt, _ = await _start(candidate)
    await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    await running.wait()
    for _ in range(3):
        clock.advance(minutes=3)
        assert await _recover(app, sessionmaker, clock) == 0
    release.set()
    await app.state.jobs.drain()
    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    assert result["status"] == "scored"
    assert calls == 1
    async with sessionmaker() as session:
        [run] = await grading_service.runs_of(session, uuid.UUID(attempt["id"]))
    assert (run.status, run.attempts_made) == ("done", 1)


async def test_a_grading_that_never_runs_is_stuck_never_scored(
    app: FastAPI,
    client: httpx.AsyncClient,
    candidate: Candidate,
    practical: None,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = grading_service.grade_submission

    async def broken(*args: object, **kwargs: object) -> None:
        raise SandboxStartError("no sandbox")

    monkeypatch.setattr(grading_service, "grade_submission", broken)
    attempt, _ = await _start(candidate)
    await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    await app.state.jobs.drain()
    url = f"/api/v1/attempts/{attempt['id']}/result"
    for _ in range(grading_service.MAX_FINAL_TRIES - 1):
        assert (await candidate.get(url)).json()["grading_delayed"] is False
        clock.advance(minutes=3)
        assert await _recover(app, sessionmaker, clock)
        await app.state.jobs.drain()

    result = (await candidate.get(url)).json()
    assert (result["status"], result["score"], result["passed"]) == ("grading", None, None)
    assert result["grading_delayed"] is True
    # Given up: the recovery pass leaves it; staff see it, and so does /metrics.
    clock.advance(minutes=3)
    assert await _recover(app, sessionmaker, clock) == 0
    proctor = await staff_member(client, sessionmaker, clock, Role.proctor, "Pat Proctor")
    [stuck] = (await proctor.get("/api/v1/review/stuck-gradings")).json()
    assert stuck["attempt_id"] == attempt["id"]
    assert stuck["tries"] == grading_service.MAX_FINAL_TRIES
    metrics = (await client.get("/metrics")).text
    assert "assay_gradings_stuck 1.0" in metrics
    await browser_sign_in(client, candidate)
    page = (await client.get(f"/attempts/{attempt['id']}/result", headers=HTML)).text
    assert "Grading is delayed" in page and "Not passed" not in page
    client.cookies.clear()
    await browser_sign_in(client, proctor)
    queue = (await client.get("/review", headers=HTML)).text
    assert 'id="stuck-gradings"' in queue and f'href="/review/attempts/{attempt["id"]}"' in queue

    # Graders fixed, staff queue it again (`assay gradings retry-stuck`): graded, scored.
    monkeypatch.setattr(grading_service, "grade_submission", real)
    async with session_scope(sessionmaker) as session:
        reopened = await grading_service.reopen_stuck_final_runs(session)
    assert [str(r) for r in reopened] == [stuck["run_id"]]
    jobs = PendingJobs()
    jobs.add(GRADE_RUN, {"run_id": stuck["run_id"]})
    await jobs.send(app.state.jobs)
    await app.state.jobs.drain()
    result = (await candidate.get(url)).json()
    assert result["status"] == "scored" and result["grading_delayed"] is False


async def test_a_scoring_lost_after_the_last_grade_is_done_by_the_recovery_pass(
    app: FastAPI,
    candidate: Candidate,
    practical: None,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process stops between the grade's commit and the score's (here the scoring
    fails instead): the grade is kept and the next recovery pass scores the attempt,
    once, without grading again. tests/faults kills a real process at that point."""
    from app.attempts import sweeper

    async def lost(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the process stopped here")

    real = sweeper.finish_grading
    monkeypatch.setattr(sweeper, "finish_grading", lost)
    attempt, _ = await _start(candidate)
    await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    await app.state.jobs.drain()
    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    assert result["status"] == "grading"
    async with sessionmaker() as session:
        [run] = await grading_service.runs_of(session, uuid.UUID(attempt["id"]))
    assert (run.kind, run.status, run.attempts_made) == ("final", "done", 1)

    monkeypatch.setattr(sweeper, "finish_grading", real)

    assert await _recover(app, sessionmaker, app.state.clock) == 1
    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    assert result["status"] == "scored"
    assert await _recover(app, sessionmaker, app.state.clock) == 0
    async with sessionmaker() as session:
        [run] = await grading_service.runs_of(session, uuid.UUID(attempt["id"]))
    assert run.attempts_made == 1


async def test_an_mcq_only_exam_needs_no_grader(
    app: FastAPI, client: httpx.AsyncClient, published: Path, candidate: Candidate
) -> None:
    attempt = (await candidate.post("/api/v1/exams/test-foundation/attempts")).json()
    r = await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    assert r.json()["status"] == "scored"


async def test_a_scenario_counts_as_answered_only_when_its_files_change(
    app: FastAPI, candidate: Candidate, practical: None
) -> None:
    attempt, ref = await _start(candidate)
    base = f"/api/v1/attempts/{attempt['id']}"
    item = (await candidate.get(f"{base}/items/{ref}")).json()
    path = item["editable"][0]

    async def state() -> dict[str, Any]:
        items = (await candidate.get(base)).json()["items"]
        return dict(next(i for i in items if i["ref"] == ref))

    unchanged = {path: item["files"][path]}
    await candidate.put(
        f"{base}/responses/{ref}", json={"files": unchanged, "flagged": True, "seq": 1}
    )
    assert (await state())["answered"] is False
    assert (await state())["flagged"] is True
    edited = {path: item["files"][path] + "\n# looked at this\n"}
    await candidate.put(f"{base}/responses/{ref}", json={"files": edited, "seq": 2})
    assert (await state())["answered"] is True
    assert (await candidate.get(f"{base}/items/{ref}")).json()["seq"] == 2


async def test_a_nul_in_a_file_is_refused_and_later_edits_are_saved(
    candidate: Candidate, practical: None
) -> None:
    """PostgreSQL cannot store U+0000: a 422 the page treats as final (not retried),
    and the item's next edit, without it, is saved as usual."""
    attempt, ref = await _start(candidate)
    base = f"/api/v1/attempts/{attempt['id']}"
    item = (await candidate.get(f"{base}/items/{ref}")).json()
    path = item["editable"][0]
    refused = await candidate.put(
        f"{base}/responses/{ref}", json={"files": {path: "x = 1\x00\n"}, "seq": 1}
    )
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid_request"
    assert "U+0000" in error["message"] and path in error["message"]
    saved = await candidate.put(
        f"{base}/responses/{ref}", json={"files": {path: "x = 1\n"}, "seq": 2}
    )
    assert saved.status_code == 200, saved.text
    assert (await candidate.get(f"{base}/items/{ref}")).json()["files"][path] == "x = 1\n"
