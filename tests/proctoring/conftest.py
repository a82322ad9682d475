"""Proctors, admins and candidates whose attempts give the review something to look at."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from app.core.db import session_scope
from app.identity import service as identity_service
from app.identity.models import Role
from tests.attempts.helpers import keyed_labels
from tests.conftest import PASSWORD, Candidate, sign_up


async def staff_member(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    role: Role,
    name: str,
) -> Candidate:
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.org"
    async with session_scope(sessionmaker) as session:
        user = await identity_service.create_user(
            session, clock, email=email, password=PASSWORD, full_name=name, role=role
        )
    r = await client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return Candidate(client, email, r.json()["access_token"], str(user.id))


@pytest.fixture
async def proctor(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> Candidate:
    return await staff_member(client, sessionmaker, clock, Role.proctor, "Pat Proctor")


@pytest.fixture
async def admin(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> Candidate:
    return await staff_member(client, sessionmaker, clock, Role.admin, "Ada Admin")


async def start(candidate: Candidate, exam: str = "test-foundation") -> dict[str, Any]:
    r = await candidate.post(f"/api/v1/exams/{exam}/attempts")
    assert r.status_code == 201, r.text
    return dict(r.json())


async def answer_all(
    candidate: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
    attempt: dict[str, Any],
    *,
    right: bool = True,
) -> None:
    keys = await keyed_labels(sessionmaker, attempt["id"])
    for ref, labels in keys.items():
        choices = labels if right else [next(x for x in "abcd" if x not in labels)]
        r = await candidate.put(
            f"/api/v1/attempts/{attempt['id']}/responses/{ref}",
            json={"choices": choices, "seq": 1},
        )
        assert r.status_code == 200, r.text


async def leave_the_window(
    candidate: Candidate, attempt_id: str, clock: ManualClock, times: int
) -> None:
    """Reports ``times`` separate times away from the exam (a blur and a hidden tab a
    moment apart count once), spaced so that the rate limit never bites."""
    for _ in range(times):
        for kind in ("focus_lost", "tab_hidden"):
            r = await candidate.post(
                f"/api/v1/attempts/{attempt_id}/events", json={"type": kind, "data": {}}
            )
            assert r.status_code == 201, r.text
        clock.advance(seconds=5)


async def passing_attempt(
    candidate: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    *,
    away: int = 0,
) -> str:
    """A passed foundation attempt; ``away`` times out of the window first (30 or more
    make a high-severity flag, so the pass is held)."""
    attempt = await start(candidate)
    await leave_the_window(candidate, attempt["id"], clock, away)
    await answer_all(candidate, sessionmaker, attempt)
    r = await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    assert r.status_code == 202, r.text
    return str(attempt["id"])


async def new_candidate(client: httpx.AsyncClient, name: str = "Grace Hopper") -> Candidate:
    return await sign_up(client, name=name)
