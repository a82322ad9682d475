"""The server's clock decides: deadlines hold for writes, survive resumption and are
enforced by the sweeper without the candidate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.service import sweep_overdue
from app.core.clock import ManualClock
from app.proctoring.signals import ReviewPolicy
from tests.attempts.helpers import keyed_labels
from tests.conftest import START, Candidate

GRACE = timedelta(seconds=5)


async def _start(candidate: Candidate) -> dict[str, object]:
    r = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_deadline_is_fixed_at_start(
    candidate: Candidate, published: Path, clock: ManualClock
) -> None:
    attempt = await _start(candidate)
    assert attempt["deadline_at"] == "2026-03-02T09:30:00Z"
    assert attempt["remaining_seconds"] == 30 * 60
    clock.advance(minutes=10, seconds=30)
    state = (await candidate.get(f"/api/v1/attempts/{attempt['id']}")).json()
    assert state["remaining_seconds"] == 19 * 60 + 30


async def test_answer_after_the_deadline_is_refused(
    candidate: Candidate, published: Path, clock: ManualClock
) -> None:
    attempt = await _start(candidate)
    url = f"/api/v1/attempts/{attempt['id']}/responses/q1"
    clock.set(START + timedelta(minutes=30, seconds=3))  # inside the grace
    assert (await candidate.put(url, json={"choices": ["a"], "seq": 1})).status_code == 200
    clock.set(START + timedelta(minutes=30, seconds=6))  # past it
    late = await candidate.put(url, json={"choices": ["b"], "seq": 2})
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "attempt_closed"
    item = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/items/q1")).json()
    assert item["answer"] == ["a"]


async def test_resuming_keeps_the_deadline_and_the_answers(
    candidate: Candidate, published: Path, clock: ManualClock
) -> None:
    attempt = await _start(candidate)
    await candidate.put(
        f"/api/v1/attempts/{attempt['id']}/responses/q2",
        json={"choices": ["c"], "seq": 1, "flagged": True},
    )
    clock.advance(minutes=12)
    # The browser crashed; on another device the candidate signs in and starts again.
    await candidate.sign_in()
    resumed = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert resumed.status_code == 200
    body = resumed.json()
    assert body["id"] == attempt["id"]
    assert body["deadline_at"] == attempt["deadline_at"]
    assert body["remaining_seconds"] == 18 * 60
    state = (await candidate.get(f"/api/v1/attempts/{attempt['id']}")).json()
    q2 = next(i for i in state["items"] if i["ref"] == "q2")
    assert q2 == {"ref": "q2", "kind": "mcq", "position": 2, "answered": True, "flagged": True}


async def test_sweeper_submits_an_abandoned_attempt(
    app: FastAPI,
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    attempt = await _start(candidate)
    keys = await keyed_labels(sessionmaker, str(attempt["id"]))
    for ref in ("q1", "q2", "q3", "q4"):
        await candidate.put(
            f"/api/v1/attempts/{attempt['id']}/responses/{ref}",
            json={"choices": keys[ref], "seq": 1},
        )
    clock.advance(minutes=29)
    assert (
        await sweep_overdue(
            sessionmaker, clock, GRACE, runner=app.state.jobs, scenarios={}, review=ReviewPolicy()
        )
        == 0
    )
    clock.advance(minutes=1, seconds=5)
    assert (
        await sweep_overdue(
            sessionmaker, clock, GRACE, runner=app.state.jobs, scenarios={}, review=ReviewPolicy()
        )
        == 1
    )
    assert (
        await sweep_overdue(
            sessionmaker, clock, GRACE, runner=app.state.jobs, scenarios={}, review=ReviewPolicy()
        )
        == 0
    )  # nothing twice

    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    assert result["status"] == "scored"
    assert result["score"] == 0.8  # the four acknowledged answers count
    assert result["passed"] is True
    assert result["certificate_id"] is not None


async def test_an_overdue_attempt_ends_before_a_new_one_can_start(
    candidate: Candidate, published: Path, clock: ManualClock
) -> None:
    attempt = await _start(candidate)
    clock.advance(hours=2)
    again = await candidate.post("/api/v1/exams/test-foundation/attempts")
    # The unanswered attempt is scored (failed) first, so the retake wait applies.
    assert again.status_code == 403
    assert again.json()["error"]["code"] == "retake_too_soon"
    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    assert result["status"] == "scored"
    assert result["passed"] is False


async def test_retake_waits_fourteen_days_and_three_attempts_a_year(
    candidate: Candidate, published: Path, clock: ManualClock
) -> None:
    for attempt_number in range(3):
        attempt = await _start(candidate)
        await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")  # blank: fails
        if attempt_number == 2:
            break
        clock.advance(days=13, hours=23)
        await candidate.sign_in()
        too_soon = await candidate.post("/api/v1/exams/test-foundation/attempts")
        assert too_soon.json()["error"]["code"] == "retake_too_soon", attempt_number
        clock.advance(hours=1, seconds=1)
    clock.advance(days=20)
    await candidate.sign_in()
    limit = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert limit.status_code == 403
    assert limit.json()["error"]["code"] == "attempt_limit_reached"
    clock.set(START + timedelta(days=366))
    await candidate.sign_in()
    assert (await candidate.post("/api/v1/exams/test-foundation/attempts")).status_code == 201


async def test_submitting_twice_changes_nothing(
    candidate: Candidate, published: Path, client: httpx.AsyncClient
) -> None:
    attempt = await _start(candidate)
    first = await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    second = await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    assert first.status_code == second.status_code == 202
    assert first.json()["submitted_at"] == second.json()["submitted_at"]
