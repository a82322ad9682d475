"""Scheduled sittings through the API: scheduling, listing, check-in and its refusals,
every clock starting at the sitting's start, latecomers, and admission."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.models import ExposurePending
from app.core.clock import ManualClock
from app.identity.models import Role
from tests.conftest import START, Candidate, sign_up
from tests.proctoring.conftest import staff_member

DURATION = timedelta(minutes=30)  # test-foundation
STARTS = START + timedelta(hours=1)


@pytest.fixture
async def admin(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> Candidate:
    return await staff_member(client, sessionmaker, clock, Role.admin, "Ada Admin")


def _iso(delta: timedelta) -> str:
    return (START + delta).isoformat()


async def _schedule(admin: Candidate, **overrides: Any) -> dict[str, Any]:
    body = {
        "exam_code": "test-foundation",
        "starts_at": STARTS.isoformat(),
        "check_in_opens_at": START.isoformat(),
        "capacity": 10,
        **overrides,
    }
    r = await admin.post("/api/v1/sittings", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _check_in(candidate: Candidate, sitting: dict[str, Any]) -> httpx.Response:
    return await candidate.post(f"/api/v1/sittings/{sitting['id']}/check-in")


def _error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    return str(r.json()["error"]["code"])


async def test_admin_schedules_a_sitting_and_candidates_see_it(
    admin: Candidate, candidate: Candidate, published: Path
) -> None:
    sitting = await _schedule(admin)
    assert sitting["exam_code"] == "test-foundation"
    assert sitting["starts_at"] == "2026-03-02T10:00:00Z"
    assert sitting["ends_at"] == "2026-03-02T10:30:00Z"
    assert sitting["check_in_opens_at"] == "2026-03-02T09:00:00Z"
    # By default check-in closes 15 minutes after the start (half the duration at most).
    assert sitting["check_in_closes_at"] == "2026-03-02T10:15:00Z"
    assert sitting["capacity"] == 10 and sitting["checked_in"] == 0
    assert sitting["latecomers"] == "sitting_end" and sitting["open"] is True
    assert sitting["check_in_open"] is True and sitting["attempt_id"] is None

    listed = (await candidate.get("/api/v1/sittings?exam_code=test-foundation")).json()
    assert [s["id"] for s in listed] == [sitting["id"]]
    assert (await candidate.get("/api/v1/sittings?exam_code=test-professional")).json() == []
    assert [s["id"] for s in (await candidate.get("/api/v1/sittings")).json()] == [sitting["id"]]


async def test_only_an_admin_schedules_and_only_a_signed_in_caller_lists(
    client: httpx.AsyncClient, candidate: Candidate, published: Path
) -> None:
    body = {
        "exam_code": "test-foundation",
        "starts_at": STARTS.isoformat(),
        "check_in_opens_at": START.isoformat(),
        "capacity": 5,
    }
    assert _error(await candidate.post("/api/v1/sittings", json=body), 403) == "permission_denied"
    assert _error(await client.get("/api/v1/sittings"), 401) == "not_authenticated"


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"starts_at": _iso(timedelta(minutes=-1))}, 422, "invalid_sitting"),
        ({"check_in_opens_at": _iso(timedelta(hours=2))}, 422, "invalid_sitting"),
        ({"check_in_closes_at": _iso(timedelta(hours=1, minutes=30))}, 422, "invalid_sitting"),
        ({"roster": ["nobody@example.org"]}, 422, "invalid_sitting"),
        ({"exam_code": "no-such-exam"}, 404, "exam_not_found"),
        ({"capacity": 0}, 422, "invalid_request"),
        ({"starts_at": "2026-03-02T10:00:00"}, 422, "invalid_request"),  # no time zone
    ],
)
async def test_a_sitting_that_cannot_be_held_is_refused(
    admin: Candidate, published: Path, overrides: dict[str, Any], status: int, code: str
) -> None:
    body = {
        "exam_code": "test-foundation",
        "starts_at": STARTS.isoformat(),
        "check_in_opens_at": START.isoformat(),
        "capacity": 5,
        **overrides,
    }
    assert _error(await admin.post("/api/v1/sittings", json=body), status) == code


async def test_check_in_creates_an_attempt_whose_clock_waits_for_the_start(
    admin: Candidate,
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    sitting = await _schedule(admin)
    clock.advance(minutes=20)
    r = await _check_in(candidate, sitting)
    assert r.status_code == 201, r.text
    attempt = r.json()
    assert attempt["status"] == "checked_in"
    assert attempt["starts_at"] == "2026-03-02T10:00:00Z"
    assert attempt["deadline_at"] == "2026-03-02T10:30:00Z"
    assert attempt["remaining_seconds"] == 30 * 60  # the clock is not running
    assert attempt["sitting_id"] == sitting["id"]
    assert [i["ref"] for i in attempt["items"]] == [f"q{n}" for n in range(1, 6)]
    # Counted for exposure like any start.
    async with sessionmaker() as session:
        pending = await session.scalar(select(func.count()).select_from(ExposurePending))
    assert pending == 1

    base = f"/api/v1/attempts/{attempt['id']}"
    clock.advance(minutes=10)
    state = (await candidate.get(base)).json()
    assert state["status"] == "checked_in"
    assert state["remaining_seconds"] == 30 * 60
    assert state["starts_in_seconds"] == 30 * 60
    assert _error(await candidate.get(f"{base}/items/q1"), 409) == "attempt_not_started"
    save = await candidate.put(f"{base}/responses/q1", json={"choices": ["a"], "seq": 1})
    assert _error(save, 409) == "attempt_not_started"
    assert _error(await candidate.post(f"{base}/submit"), 409) == "attempt_not_started"

    # Checking in again (another device) gives the same attempt.
    again = await _check_in(candidate, sitting)
    assert again.status_code == 200 and again.json()["id"] == attempt["id"]
    listed = (await candidate.get("/api/v1/sittings")).json()
    assert listed[0]["attempt_id"] == attempt["id"] and listed[0]["checked_in"] == 1


async def test_every_clock_starts_at_the_sitting_start(
    admin: Candidate,
    client: httpx.AsyncClient,
    published: Path,
    clock: ManualClock,
) -> None:
    sitting = await _schedule(admin)
    candidates = [await sign_up(client, name=f"Candidate {n}") for n in range(3)]
    attempts = []
    for n, c in enumerate(candidates):
        clock.set(START + timedelta(minutes=5 + 20 * n))  # 09:05, 09:25, 09:45
        r = await _check_in(c, sitting)
        assert r.status_code == 201, r.text
        attempts.append(r.json())
    assert {a["deadline_at"] for a in attempts} == {"2026-03-02T10:30:00Z"}
    clock.set(STARTS - timedelta(seconds=1))
    assert {
        (await c.get(f"/api/v1/attempts/{a['id']}")).json()["status"]
        for c, a in zip(candidates, attempts, strict=True)
    } == {"checked_in"}

    clock.set(STARTS)  # nothing is written at the start: the clocks are derived from it
    for c, a in zip(candidates, attempts, strict=True):
        base = f"/api/v1/attempts/{a['id']}"
        state = (await c.get(base)).json()
        assert state["status"] == "in_progress"
        assert state["remaining_seconds"] == 30 * 60 and state["starts_in_seconds"] == 0
        assert (await c.get(f"{base}/items/q1")).status_code == 200
        saved = await c.put(f"{base}/responses/q1", json={"choices": ["a"], "seq": 1})
        assert saved.status_code == 200, saved.text
    clock.set(STARTS + timedelta(minutes=12))
    states = [
        (await c.get(f"/api/v1/attempts/{a['id']}")).json()
        for c, a in zip(candidates, attempts, strict=True)
    ]
    assert {s["remaining_seconds"] for s in states} == {18 * 60}
    # The deadline holds for every one of them.
    clock.set(STARTS + DURATION + timedelta(seconds=6))
    late = await candidates[0].put(
        f"/api/v1/attempts/{attempts[0]['id']}/responses/q2", json={"choices": ["a"], "seq": 2}
    )
    assert _error(late, 409) == "attempt_closed"


@pytest.mark.parametrize(
    ("latecomers", "deadline"),
    [("sitting_end", "2026-03-02T10:30:00Z"), ("full_duration", "2026-03-02T10:40:00Z")],
)
async def test_a_latecomer_starts_at_once_with_the_time_the_sitting_gives(
    admin: Candidate,
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    latecomers: str,
    deadline: str,
) -> None:
    sitting = await _schedule(admin, latecomers=latecomers)
    clock.set(STARTS + timedelta(minutes=10))
    r = await _check_in(candidate, sitting)
    assert r.status_code == 201, r.text
    attempt = r.json()
    assert attempt["status"] == "in_progress"
    assert attempt["started_at"] == "2026-03-02T10:10:00Z"
    assert attempt["deadline_at"] == deadline
    items = await candidate.get(f"/api/v1/attempts/{attempt['id']}/items/q1")
    assert items.status_code == 200


async def test_check_in_outside_the_window_is_refused(
    admin: Candidate, candidate: Candidate, published: Path, clock: ManualClock
) -> None:
    sitting = await _schedule(admin, check_in_opens_at=_iso(timedelta(minutes=30)))
    r = await _check_in(candidate, sitting)
    assert _error(r, 409) == "check_in_not_open"
    assert r.json()["error"]["details"]["opens_at"] == "2026-03-02T09:30:00+00:00"
    clock.set(STARTS + timedelta(minutes=15))  # the default close
    assert _error(await _check_in(candidate, sitting), 409) == "check_in_closed"
    # A closed sitting is no longer listed.
    assert (await candidate.get("/api/v1/sittings")).json() == []


async def test_unknown_sitting_is_404(candidate: Candidate, published: Path) -> None:
    r = await candidate.post(f"/api/v1/sittings/{uuid.uuid4()}/check-in")
    assert _error(r, 404) == "sitting_not_found"


async def test_a_full_sitting_refuses_the_next_candidate(
    admin: Candidate, client: httpx.AsyncClient, published: Path
) -> None:
    sitting = await _schedule(admin, capacity=2)
    first, second, third = [await sign_up(client, name=f"C {n}") for n in range(3)]
    assert (await _check_in(first, sitting)).status_code == 201
    assert (await _check_in(second, sitting)).status_code == 201
    assert _error(await _check_in(third, sitting), 409) == "sitting_full"
    # The refused check-in left nothing behind: no attempt for the third candidate.
    direct = await third.post("/api/v1/exams/test-foundation/attempts")
    assert direct.status_code == 201, direct.text
    # Those checked in still get theirs back.
    assert (await _check_in(first, sitting)).status_code == 200
    listed = (await admin.get("/api/v1/sittings")).json()
    assert listed[0]["checked_in"] == 2 and listed[0]["seats_left"] == 0


async def test_a_roster_sitting_admits_only_its_candidates(
    admin: Candidate, client: httpx.AsyncClient, published: Path
) -> None:
    listed_one = await sign_up(client, name="On the roster")
    other = await sign_up(client, name="Not on it")
    sitting = await _schedule(admin, roster=[listed_one.email.upper()])
    assert sitting["open"] is False
    assert _error(await _check_in(other, sitting), 403) == "not_on_roster"
    assert (await other.get("/api/v1/sittings")).json() == []
    assert [s["id"] for s in (await listed_one.get("/api/v1/sittings")).json()] == [sitting["id"]]
    assert (await _check_in(listed_one, sitting)).status_code == 201


async def test_check_in_applies_the_rules_of_a_start(
    admin: Candidate, candidate: Candidate, published: Path
) -> None:
    sitting = await _schedule(admin, exam_code="test-professional")
    assert _error(await _check_in(candidate, sitting), 403) == "prerequisite_missing"
    # An attempt at the exam already running elsewhere is not silently taken over.
    foundation = await _schedule(admin)
    assert (await candidate.post("/api/v1/exams/test-foundation/attempts")).status_code == 201
    assert _error(await _check_in(candidate, foundation), 409) == "attempt_in_progress"


async def test_a_start_over_capacity_waits_in_line_and_the_wait_is_not_counted(
    app: FastAPI, client: httpx.AsyncClient, published: Path, clock: ManualClock
) -> None:
    gate = app.state.admission
    gate.capacity = 1
    busy = await gate.enter(uuid.uuid4(), clock.now())  # a start in flight
    first, second = await sign_up(client, name="First"), await sign_up(client, name="Second")
    url = "/api/v1/exams/test-foundation/attempts"
    r1, r2 = await first.post(url), await second.post(url)
    assert r1.status_code == 202 and r2.status_code == 202
    assert r1.json()["position"] == 1 and r2.json()["position"] == 2
    assert r1.headers["Retry-After"] == str(r1.json()["retry_after_seconds"])
    assert r2.json()["estimated_wait_seconds"] >= r1.json()["estimated_wait_seconds"] >= 1
    # Still full: asking again keeps the place.
    clock.advance(seconds=5)
    assert (await first.post(url)).json()["position"] == 1

    await gate.leave(busy, clock.now())
    clock.advance(seconds=20)
    # The second in line does not overtake the first while only one place is free.
    assert (await second.post(url)).json()["position"] == 2
    started = await first.post(url)
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["started_at"] == "2026-03-02T09:00:25Z"
    assert body["remaining_seconds"] == 30 * 60  # the 25 s in line did not count
    assert (await second.post(url)).status_code == 201


async def test_a_place_not_asked_for_again_is_given_up(
    app: FastAPI, client: httpx.AsyncClient, published: Path, clock: ManualClock
) -> None:
    gate = app.state.admission
    gate.capacity = 1
    busy = await gate.enter(uuid.uuid4(), clock.now())
    gone, stays = await sign_up(client, name="Gone"), await sign_up(client, name="Stays")
    url = "/api/v1/exams/test-foundation/attempts"
    assert (await gone.post(url)).json()["position"] == 1
    clock.advance(seconds=20)
    assert (await stays.post(url)).json()["position"] == 2
    clock.advance(seconds=15)  # `gone` last asked 35 s ago: past ASSAY_ADMISSION_TICKET_SECONDS
    assert (await stays.post(url)).json()["position"] == 1
    await gate.leave(busy, clock.now())
    assert (await stays.post(url)).status_code == 201


async def test_a_check_in_queued_before_the_start_loses_no_time(
    app: FastAPI, admin: Candidate, candidate: Candidate, published: Path, clock: ManualClock
) -> None:
    sitting = await _schedule(admin)
    gate = app.state.admission
    gate.capacity = 1
    clock.set(STARTS + timedelta(minutes=14, seconds=50))
    busy = await gate.enter(uuid.uuid4(), clock.now())
    queued = await _check_in(candidate, sitting)
    assert queued.status_code == 202 and queued.json()["position"] == 1
    # Admitted 25 s later: past the close of check-in (10:15), still in line since 10:14:50.
    clock.advance(seconds=25)
    await gate.leave(busy, clock.now())
    r = await _check_in(candidate, sitting)
    assert r.status_code == 201, r.text
    attempt = r.json()
    assert attempt["started_at"] == "2026-03-02T10:15:15Z"
    # The sitting's end (10:30) moved by the 25 s spent in line.
    assert attempt["deadline_at"] == "2026-03-02T10:30:25Z"
