"""The review routes: who may call them, the queue, what each decision does to
certificates, the hold before issue, extra time and accommodations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from app.proctoring import audit
from tests.conftest import START, Candidate
from tests.proctoring.conftest import (
    answer_all,
    new_candidate,
    passing_attempt,
    start,
)

REVIEW = "/api/v1/review"


async def decide(proctor: Candidate, attempt_id: str, decision: str, reason: str) -> httpx.Response:
    return await proctor.post(
        f"{REVIEW}/attempts/{attempt_id}/decisions",
        json={"decision": decision, "reason": reason},
    )


async def verify(client: httpx.AsyncClient, certificate_id: str, last_name: str) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/verify", json={"certificate_id": certificate_id, "last_name": last_name}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def result(candidate: Candidate, attempt_id: str) -> dict[str, Any]:
    r = await candidate.get(f"/api/v1/attempts/{attempt_id}/result")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def audit_actions(sessionmaker: async_sessionmaker[AsyncSession]) -> list[str]:
    from sqlalchemy import select

    from app.proctoring.models import AuditEntry

    async with sessionmaker() as session:
        assert (await audit.verify(session)).intact
        rows = await session.execute(select(AuditEntry.action).order_by(AuditEntry.seq))
        return list(rows.scalars())


# --- who may call what ------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    owner: Candidate
    proctor: Candidate
    admin: Candidate
    attempt_id: str
    proctor_attempt_id: str


@pytest.fixture
async def scene(
    client: httpx.AsyncClient, published: Path, proctor: Candidate, admin: Candidate
) -> Scene:
    owner = await new_candidate(client)
    attempt = await start(owner)
    own = await start(proctor)  # proctors may sit exams too
    return Scene(owner, proctor, admin, attempt["id"], own["id"])


Call = tuple[str, str, dict[str, Any] | None]


def calls(scene: Scene, target: str) -> dict[str, Call]:
    attempt = {
        "other": scene.attempt_id,
        "own": scene.proctor_attempt_id,
        "unknown": str(uuid.uuid4()),
    }[target]
    email = {
        "other": scene.owner.email,
        "own": scene.proctor.email,
        "unknown": "nobody@example.org",
    }[target]
    return {
        "queue": ("GET", f"{REVIEW}/attempts", None),
        "detail": ("GET", f"{REVIEW}/attempts/{attempt}", None),
        "decision": (
            "POST",
            f"{REVIEW}/attempts/{attempt}/decisions",
            {"decision": "hold", "reason": "Looking closer at the focus losses"},
        ),
        "extra_time": (
            "POST",
            f"{REVIEW}/attempts/{attempt}/extra-time",
            {"minutes": 10, "reason": "Outage at the test centre"},
        ),
        "accommodation": (
            "POST",
            f"{REVIEW}/accommodations",
            {
                "email": email,
                "exam_code": "test-foundation",
                "extra_minutes": 15,
                "reason": "Documented reading accommodation",
            },
        ),
    }


ROUTES = ["queue", "detail", "decision", "extra_time", "accommodation"]
MATRIX = [
    *[(route, "anonymous", "other", 401) for route in ROUTES],
    *[(route, "candidate", "other", 403) for route in ROUTES],
    *[(route, "candidate", "own", 403) for route in ROUTES],
    *[
        (route, who, "other", {"queue": 200, "accommodation": 201}.get(route, 200))
        for route in ROUTES
        for who in ("proctor", "admin")
    ],
    *[(route, "proctor", "own", 403) for route in ROUTES if route != "queue"],
    *[
        (route, who, "unknown", 404)
        for route in ROUTES
        if route != "queue"
        for who in ("proctor", "admin")
    ],
]


@pytest.mark.parametrize(
    ("route", "who", "target", "expected"),
    MATRIX,
    ids=[f"{r}-{w}-{t}" for r, w, t, _ in MATRIX],
)
async def test_authorization_matrix(
    client: httpx.AsyncClient, scene: Scene, route: str, who: str, target: str, expected: int
) -> None:
    method, url, body = calls(scene, target)[route]
    headers = {
        "anonymous": {},
        "candidate": scene.owner.headers,
        "proctor": scene.proctor.headers,
        "admin": scene.admin.headers,
    }[who]
    r = await client.request(method, url, json=body, headers=headers)
    assert r.status_code == expected, r.text
    if expected >= 400:
        error = r.json()["error"]
        assert set(error) >= {"code", "message"}
        if who == "proctor" and target == "own":
            assert error["code"] == "own_attempt"
        if expected == 404:
            assert error["code"] in ("attempt_not_found", "candidate_not_found")


async def test_cookie_sessions_need_the_csrf_value_on_review_writes(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    signed_in = await client.post(
        "/api/v1/auth/session",
        json={"email": scene.proctor.email, "password": "correct horse battery"},
    )
    csrf = signed_in.json()["csrf_token"]
    url = f"{REVIEW}/attempts/{scene.attempt_id}/decisions"
    body = {"decision": "hold", "reason": "Checking the address changes"}
    refused = await client.post(url, json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert (await client.post(url, json=body, headers={"X-CSRF-Token": csrf})).status_code == 200
    client.cookies.clear()


# --- the hold before issue, and each decision's effect on certificates --------------------------


async def test_a_pass_with_a_high_flag_waits_for_approval(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client, "Grace Hopper")
    attempt_id = await passing_attempt(candidate, sessionmaker, clock, away=30)
    held = await result(candidate, attempt_id)
    assert (held["status"], held["passed"], held["certificate_id"]) == (
        "under_review",
        True,
        None,
    )
    assert (await candidate.get("/api/v1/certificates")).json() == []

    [entry] = (await proctor.get(f"{REVIEW}/attempts")).json()
    assert entry["attempt_id"] == attempt_id
    assert (entry["severity"], entry["hold"], entry["queued_because"]) == ("high", True, "flagged")
    assert entry["candidate"]["name"] == "Grace Hopper"
    assert entry["attempt_status"] == "under_review"

    clock.advance(days=2)
    await proctor.sign_in()
    await candidate.sign_in()
    approved = await decide(
        proctor, attempt_id, "approve", "Focus losses explained: a fire alarm test"
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["attempt_status"] == "scored"
    assert body["review"]["status"] == "approved" and body["review"]["hold"] is False
    certificate_id = body["certificate_issued"]
    assert certificate_id
    after = await result(candidate, attempt_id)
    assert (after["status"], after["certificate_id"]) == ("scored", certificate_id)
    found = await verify(client, certificate_id, "Hopper")
    assert found["status"] == "active"
    assert found["issued_on"] == (START + timedelta(days=2)).date().isoformat()  # at approval
    assert (await proctor.get(f"{REVIEW}/attempts")).json() == []  # left the pending queue
    assert [
        e["attempt_id"] for e in (await proctor.get(f"{REVIEW}/attempts?status=approved")).json()
    ] == [attempt_id]
    assert await audit_actions(sessionmaker) == ["decision_approve"]
    again = await decide(proctor, attempt_id, "approve", "Twice")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"


async def test_a_hold_on_a_running_attempt_stops_the_certificate_until_approved(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    hold = await decide(proctor, attempt["id"], "hold", "Tip-off from the test centre")
    assert hold.status_code == 200, hold.text
    assert hold.json()["review"]["hold"] is True
    await answer_all(candidate, sessionmaker, attempt)
    await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    held = await result(candidate, attempt["id"])
    assert (held["status"], held["certificate_id"]) == ("under_review", None)
    [entry] = (await proctor.get(f"{REVIEW}/attempts")).json()
    assert entry["queued_because"] == "held"
    approved = await decide(proctor, attempt["id"], "approve", "Tip-off not substantiated")
    assert (
        approved.json()["certificate_issued"]
        == (await result(candidate, attempt["id"]))["certificate_id"]
    )
    assert await audit_actions(sessionmaker) == ["decision_hold", "decision_approve"]


async def test_hold_after_the_certificate_is_issued_is_refused(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt_id = await passing_attempt(candidate, sessionmaker, clock)
    assert (await result(candidate, attempt_id))["certificate_id"]
    r = await decide(proctor, attempt_id, "hold", "Too late for a hold")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "certificate_already_issued"
    assert await audit_actions(sessionmaker) == []


async def test_invalidate_revokes_the_certificate_and_verification_shows_why(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client, "Alan Turing")
    attempt_id = await passing_attempt(candidate, sessionmaker, clock)
    certificate_id = (await result(candidate, attempt_id))["certificate_id"]
    assert (await verify(client, certificate_id, "Turing"))["status"] == "active"

    reason = "Answers shared in a chat group during the exam"
    r = await decide(proctor, attempt_id, "invalidate", reason)
    assert r.status_code == 200, r.text
    assert r.json()["certificates_revoked"] == [certificate_id]
    shown = await verify(client, certificate_id, "Turing")
    assert (shown["status"], shown["revocation_reason"]) == ("revoked", reason)
    assert await audit_actions(sessionmaker) == ["certificate_revoked", "decision_invalidate"]
    for decision in ("approve", "hold", "invalidate"):
        after = await decide(proctor, attempt_id, decision, "Changing my mind")
        assert after.status_code == 409
        assert after.json()["error"]["code"] == "review_closed"


async def test_an_invalidated_held_attempt_never_gets_a_certificate(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt_id = await passing_attempt(candidate, sessionmaker, clock, away=30)
    r = await decide(proctor, attempt_id, "invalidate", "Left the exam thirty times")
    assert r.status_code == 200
    assert r.json()["certificates_revoked"] == [] and r.json()["attempt_status"] == "scored"
    after = await result(candidate, attempt_id)
    assert (after["status"], after["passed"], after["certificate_id"]) == ("scored", True, None)
    assert (await candidate.get("/api/v1/certificates")).json() == []


async def test_approve_and_invalidate_wait_for_the_attempt_to_be_scored(
    client: httpx.AsyncClient, published: Path, proctor: Candidate
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    for decision in ("approve", "invalidate"):
        r = await decide(proctor, attempt["id"], decision, "Too early")
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "attempt_not_finished"


async def test_a_decision_needs_a_reason(
    client: httpx.AsyncClient, published: Path, proctor: Candidate
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    url = f"{REVIEW}/attempts/{attempt['id']}/decisions"
    for body in (
        {"decision": "hold"},
        {"decision": "hold", "reason": "  "},
        {"decision": "pardon", "reason": "Not a decision"},
    ):
        r = await proctor.post(url, json=body)
        assert r.status_code == 422, body
        assert r.json()["error"]["code"] == "invalid_request"


async def test_a_medium_flag_queues_the_attempt_without_holding_it(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt_id = await passing_attempt(candidate, sessionmaker, clock, away=12)
    assert (await result(candidate, attempt_id))["certificate_id"]
    [entry] = (await proctor.get(f"{REVIEW}/attempts")).json()
    assert (entry["severity"], entry["hold"]) == ("medium", False)
    detail = (await proctor.get(f"{REVIEW}/attempts/{attempt_id}")).json()
    rules = {f["rule"]: f for f in detail["flags"]}
    assert rules["focus_losses"]["severity"] == "medium"
    assert rules["focus_losses"]["evidence"]["count"] == 12
    assert not rules["focus_losses"]["provisional"]


# --- extra time and accommodations --------------------------------------------------------------


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_extra_time_moves_the_deadline_and_the_candidates_clock(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    base = f"/api/v1/attempts/{attempt['id']}"
    clock.advance(minutes=25)
    assert (await candidate.get(base)).json()["remaining_seconds"] == 5 * 60
    r = await proctor.post(
        f"{REVIEW}/attempts/{attempt['id']}/extra-time",
        json={"minutes": 15, "reason": "Power cut in the candidate's building"},
    )
    assert r.status_code == 200, r.text
    assert at(r.json()["deadline_at"]) == at(attempt["deadline_at"]) + timedelta(minutes=15)
    assert r.json()["remaining_seconds"] == 20 * 60
    assert (await candidate.get(base)).json()["remaining_seconds"] == 20 * 60

    # Past the old deadline, answers are still taken until the new one.
    clock.advance(minutes=10)
    saved = await candidate.put(f"{base}/responses/q1", json={"choices": ["a"], "seq": 1})
    assert saved.status_code == 200, saved.text
    clock.advance(minutes=11)
    closed = await candidate.put(f"{base}/responses/q1", json={"choices": ["b"], "seq": 2})
    assert closed.status_code == 409

    detail = (await proctor.get(f"{REVIEW}/attempts/{attempt['id']}")).json()
    [granted] = [
        t for t in detail["timeline"] if t["type"] == "extra_time" and t["kind"] == "event"
    ]
    assert "15 minutes" in granted["summary"]
    assert await audit_actions(sessionmaker) == ["extra_time"]


async def test_extra_time_is_only_for_a_running_attempt(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt_id = await passing_attempt(candidate, sessionmaker, clock)
    r = await proctor.post(
        f"{REVIEW}/attempts/{attempt_id}/extra-time", json={"minutes": 5, "reason": "Too late"}
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "attempt_closed"
    for minutes in (0, 241):
        bad = await proctor.post(
            f"{REVIEW}/attempts/{attempt_id}/extra-time",
            json={"minutes": minutes, "reason": "Out of range"},
        )
        assert bad.status_code == 422


async def test_an_accommodation_is_applied_when_the_candidate_starts(
    client: httpx.AsyncClient,
    published: Path,
    admin: Candidate,
    proctor: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    r = await admin.post(
        f"{REVIEW}/accommodations",
        json={
            "user_id": candidate.id,
            "exam_code": "test-foundation",
            "extra_minutes": 20,
            "reason": "Dyslexia: 25% more time, letter on file",
        },
    )
    assert r.status_code == 201, r.text
    attempt = await start(candidate)
    assert at(attempt["deadline_at"]) - at(attempt["started_at"]) == timedelta(minutes=50)
    assert attempt["remaining_seconds"] == 50 * 60
    detail = (await proctor.get(f"{REVIEW}/attempts/{attempt['id']}")).json()
    assert any(t["type"] == "accommodation_applied" for t in detail["timeline"])
    assert await audit_actions(sessionmaker) == ["accommodation"]

    for body, code in (
        ({"email": candidate.email, "exam_code": "no-such-exam"}, "exam_not_found"),
        ({"email": "nobody@example.org", "exam_code": "test-foundation"}, "candidate_not_found"),
    ):
        refused = await admin.post(
            f"{REVIEW}/accommodations",
            json={**body, "extra_minutes": 10, "reason": "Checking refusals"},
        )
        assert refused.status_code == 404 and refused.json()["error"]["code"] == code
    both = await admin.post(
        f"{REVIEW}/accommodations",
        json={
            "user_id": candidate.id,
            "email": candidate.email,
            "exam_code": "test-foundation",
            "extra_minutes": 10,
            "reason": "Both given",
        },
    )
    assert both.status_code == 422


# --- the queue's order and the detail's timeline ------------------------------------------------


async def test_the_queue_puts_the_most_severe_first_then_the_oldest(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    made: list[str] = []
    for away in (12, 30, 12, 30):
        candidate = await new_candidate(client)
        made.append(await passing_attempt(candidate, sessionmaker, clock, away=away))
        clock.advance(minutes=5)
    queue = (await proctor.get(f"{REVIEW}/attempts")).json()
    assert [e["attempt_id"] for e in queue] == [made[1], made[3], made[0], made[2]]
    assert [e["severity"] for e in queue] == ["high", "high", "medium", "medium"]
    assert queue[0]["age_seconds"] > queue[1]["age_seconds"]


async def test_the_timeline_merges_events_saves_flags_and_decisions(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt_id = await passing_attempt(candidate, sessionmaker, clock, away=30)
    await decide(proctor, attempt_id, "approve", "Explained by the candidate's carer")
    detail = (await proctor.get(f"{REVIEW}/attempts/{attempt_id}")).json()
    kinds = [t["kind"] for t in detail["timeline"]]
    assert kinds[0] == "started"
    assert {"event", "save", "submitted", "scored", "flag", "decision"} <= set(kinds)
    times = [at(t["at"]) for t in detail["timeline"]]
    assert times == sorted(times)
    focus = next(t for t in detail["timeline"] if t["type"] == "focus_lost")
    assert focus["source"] == "client"
    [decision] = [t for t in detail["timeline"] if t["kind"] == "decision"]
    assert "Explained by the candidate's carer" in decision["summary"]
    assert detail["review"]["decided_by"] == proctor.email
    assert detail["certificate_id"]
    assert detail["attempt"]["passed"] is True
