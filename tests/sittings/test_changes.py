"""Moving and cancelling a sitting (admins): only before its start; the candidates
checked in keep their attempt (a move: its clock follows the new start) or have it
closed without a score (a cancellation: they may start again at once); every decision
audited with its reason and mailed to them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.certificates.models import Certificate, OutboxMessage
from app.core.clock import ManualClock
from app.identity.models import Role
from app.proctoring.audit import verify
from app.proctoring.models import AuditEntry
from app.sittings.repository import SittingRepository
from tests.conftest import START, Candidate, sign_up
from tests.proctoring.conftest import staff_member

STARTS = START + timedelta(hours=1)
LATER = STARTS + timedelta(hours=2)


@pytest.fixture
async def admin(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> Candidate:
    return await staff_member(client, sessionmaker, clock, Role.admin, "Ada Admin")


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


async def _check_in(candidate: Candidate, sitting: dict[str, Any]) -> dict[str, Any]:
    r = await candidate.post(f"/api/v1/sittings/{sitting['id']}/check-in")
    assert r.status_code == 201, r.text
    return dict(r.json())


def _error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    return str(r.json()["error"]["code"])


async def _audit(sessionmaker: async_sessionmaker[AsyncSession]) -> list[AuditEntry]:
    async with sessionmaker() as session:
        return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())


async def _mail(sessionmaker: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessionmaker() as session:
        return list((await session.scalars(select(OutboxMessage))).all())


async def test_a_move_takes_the_checked_in_clocks_with_it(
    admin: Candidate,
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    sitting = await _schedule(admin)
    attempt = await _check_in(candidate, sitting)
    base = f"/api/v1/attempts/{attempt['id']}"
    # A save tried before the start (refused) must not fix the old start anywhere.
    early = await candidate.put(f"{base}/responses/q1", json={"choices": ["a"], "seq": 1})
    assert _error(early, 409) == "attempt_not_started"

    moved = await admin.patch(
        f"/api/v1/sittings/{sitting['id']}",
        json={"starts_at": LATER.isoformat(), "reason": "The exam room is flooded"},
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["starts_at"] == "2026-03-02T12:00:00Z"
    assert body["moved_from"] == "2026-03-02T10:00:00Z"
    assert body["notice"] == "The exam room is flooded"
    # The check-in window moved with the start.
    assert body["check_in_opens_at"] == "2026-03-02T11:00:00Z"
    assert body["check_in_closes_at"] == "2026-03-02T12:15:00Z"

    state = (await candidate.get(base)).json()
    assert state["status"] == "checked_in"
    assert state["starts_at"] == "2026-03-02T12:00:00Z"
    assert state["deadline_at"] == "2026-03-02T12:30:00Z"
    # At the old start nothing opens: items, saves and submission wait for the new one.
    clock.set(STARTS + timedelta(minutes=1))
    assert _error(await candidate.get(f"{base}/items/q1"), 409) == "attempt_not_started"
    save = await candidate.put(f"{base}/responses/q1", json={"choices": ["a"], "seq": 1})
    assert _error(save, 409) == "attempt_not_started"
    clock.set(LATER)
    assert (await candidate.get(f"{base}/items/q1")).status_code == 200
    save = await candidate.put(f"{base}/responses/q1", json={"choices": ["a"], "seq": 1})
    assert save.status_code == 200, save.text
    assert (await candidate.get(base)).json()["remaining_seconds"] == 30 * 60

    entries = await _audit(sessionmaker)
    assert [e.action for e in entries] == ["sitting_moved"]
    assert entries[0].actor == admin.email
    assert entries[0].subject == f"sitting:{sitting['id']}"
    assert entries[0].details["reason"] == "The exam room is flooded"
    assert entries[0].details["attempts_moved"] == 1
    async with sessionmaker() as session:
        assert (await verify(session)).intact
    (mail,) = await _mail(sessionmaker)
    assert mail.kind == "sitting_moved" and mail.recipient == candidate.email
    assert "2026-03-02 12:00 UTC" in mail.subject
    assert "The exam room is flooded" in mail.body


async def test_a_new_window_alone_keeps_the_start(
    admin: Candidate, candidate: Candidate, published: Path, clock: ManualClock
) -> None:
    sitting = await _schedule(admin)
    attempt = await _check_in(candidate, sitting)
    r = await admin.patch(
        f"/api/v1/sittings/{sitting['id']}",
        json={
            "check_in_closes_at": (STARTS + timedelta(minutes=5)).isoformat(),
            "reason": "Late check-in shortened",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["starts_at"] == "2026-03-02T10:00:00Z" and r.json()["moved_from"] is None
    assert r.json()["check_in_closes_at"] == "2026-03-02T10:05:00Z"
    state = (await candidate.get(f"/api/v1/attempts/{attempt['id']}")).json()
    assert state["starts_at"] == "2026-03-02T10:00:00Z"


async def test_a_cancellation_closes_the_check_ins_without_a_score(
    admin: Candidate,
    candidate: Candidate,
    client: httpx.AsyncClient,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    other = await sign_up(client, name="Grace Hopper")
    # Three cancelled check-ins: had they counted, the limit of 3 attempts would refuse a fourth.
    for n in range(3):
        sitting = await _schedule(admin, starts_at=(STARTS + timedelta(hours=n)).isoformat())
        attempt = await _check_in(candidate, sitting)
        if n == 0:
            await _check_in(other, sitting)
        r = await admin.post(
            f"/api/v1/sittings/{sitting['id']}/cancel", json={"reason": "Proctor unavailable"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["cancelled_at"] == "2026-03-02T09:00:00Z"
        assert r.json()["notice"] == "Proctor unavailable"
        state = (await candidate.get(f"/api/v1/attempts/{attempt['id']}")).json()
        assert state["status"] == "cancelled" and state["remaining_seconds"] == 0
        # No more check-ins; gone from the list.
        again = await candidate.post(f"/api/v1/sittings/{sitting['id']}/check-in")
        assert _error(again, 409) == "sitting_cancelled"
        assert again.json()["error"]["message"] == "Proctor unavailable"
        assert (await candidate.get("/api/v1/sittings")).json() == []
        result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
        assert result["status"] == "cancelled" and result["score"] is None

    # Another sitting, or a start now: both allowed.
    fresh = await _schedule(admin)
    assert (await _check_in(candidate, fresh))["status"] == "checked_in"
    started = await other.post("/api/v1/exams/test-foundation/attempts")
    assert started.status_code == 201, started.text

    entries = await _audit(sessionmaker)
    assert [e.action for e in entries] == ["sitting_cancelled"] * 3
    assert entries[0].details["attempts_cancelled"] == 2
    assert {e.details["reason"] for e in entries} == {"Proctor unavailable"}
    mail = await _mail(sessionmaker)
    assert sorted(m.recipient for m in mail) == sorted([candidate.email] * 3 + [other.email])
    assert {m.kind for m in mail} == {"sitting_cancelled"}
    async with sessionmaker() as session:
        assert (await session.scalars(select(Certificate))).all() == []


async def test_a_started_sitting_is_neither_moved_nor_cancelled(
    admin: Candidate, candidate: Candidate, published: Path, clock: ManualClock
) -> None:
    sitting = await _schedule(admin)
    attempt = await _check_in(candidate, sitting)
    url = f"/api/v1/sittings/{sitting['id']}"
    clock.set(STARTS)
    move = await admin.patch(url, json={"starts_at": LATER.isoformat(), "reason": "Too late"})
    assert _error(move, 409) == "sitting_started"
    cancel = await admin.post(f"{url}/cancel", json={"reason": "Too late"})
    assert _error(cancel, 409) == "sitting_started"
    state = (await candidate.get(f"/api/v1/attempts/{attempt['id']}")).json()
    assert state["status"] == "in_progress" and state["starts_at"] == "2026-03-02T10:00:00Z"


async def test_a_cancelled_sitting_is_not_moved_or_cancelled_again(
    admin: Candidate, published: Path
) -> None:
    sitting = await _schedule(admin)
    url = f"/api/v1/sittings/{sitting['id']}"
    assert (await admin.post(f"{url}/cancel", json={"reason": "Storm"})).status_code == 200
    again = await admin.post(f"{url}/cancel", json={"reason": "Storm"})
    assert _error(again, 409) == "sitting_cancelled"
    move = await admin.patch(url, json={"starts_at": LATER.isoformat(), "reason": "Storm"})
    assert _error(move, 409) == "sitting_cancelled"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"reason": "Nothing moves"}, 422, "invalid_request"),
        ({"starts_at": LATER.isoformat()}, 422, "invalid_request"),  # no reason
        ({"starts_at": LATER.isoformat(), "reason": "x"}, 422, "invalid_request"),
        ({"starts_at": "2026-03-02T12:00:00", "reason": "No zone"}, 422, "invalid_request"),
        (
            {"starts_at": (START - timedelta(minutes=1)).isoformat(), "reason": "Past"},
            422,
            "invalid_sitting",
        ),
        (
            {"check_in_opens_at": LATER.isoformat(), "reason": "Opens after start"},
            422,
            "invalid_sitting",
        ),
        (
            {"starts_at": LATER.isoformat(), "reason": "Moved", "capacity": 3},
            422,
            "invalid_request",
        ),
    ],
)
async def test_a_move_that_cannot_be_held_is_refused(
    admin: Candidate, published: Path, body: dict[str, Any], status: int, code: str
) -> None:
    sitting = await _schedule(admin)
    assert _error(await admin.patch(f"/api/v1/sittings/{sitting['id']}", json=body), status) == code


async def test_only_an_admin_moves_or_cancels_and_unknown_sittings_are_404(
    admin: Candidate, candidate: Candidate, published: Path
) -> None:
    sitting = await _schedule(admin)
    url = f"/api/v1/sittings/{sitting['id']}"
    body = {"starts_at": LATER.isoformat(), "reason": "Mine now"}
    assert _error(await candidate.patch(url, json=body), 403) == "permission_denied"
    cancel_own = await candidate.post(f"{url}/cancel", json={"reason": "Mine now"})
    assert _error(cancel_own, 403) == "permission_denied"
    unknown = "/api/v1/sittings/00000000-0000-4000-8000-000000000000"
    assert _error(await admin.patch(unknown, json=body), 404) == "sitting_not_found"
    cancel = await admin.post(f"{unknown}/cancel", json={"reason": "Gone"})
    assert _error(cancel, 404) == "sitting_not_found"


async def test_a_seat_is_not_taken_on_a_start_moved_or_cancelled_meanwhile(
    admin: Candidate, published: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A check-in that read the sitting before a move or a cancellation committed sets
    its clock by the old start: its seat (taken last) is refused, and its attempt rolls
    back with the request (409 sitting_moved / sitting_cancelled)."""
    sitting = await _schedule(admin)
    sitting_id = uuid.UUID(sitting["id"])
    r = await admin.patch(
        f"/api/v1/sittings/{sitting['id']}",
        json={"starts_at": LATER.isoformat(), "reason": "Moved for the tests"},
    )
    assert r.status_code == 200, r.text
    async with sessionmaker() as session:
        seats = SittingRepository(session)
        assert not await seats.take_seat(sitting_id, STARTS)
        assert await seats.take_seat(sitting_id, LATER)
        await session.commit()
    cancel = await admin.post(f"/api/v1/sittings/{sitting['id']}/cancel", json={"reason": "Off"})
    assert cancel.status_code == 200, cancel.text
    async with sessionmaker() as session:
        assert not await SittingRepository(session).take_seat(sitting_id, LATER)
