"""The candidate's pages for sittings: the sittings on an exam's introduction, and the
waiting room the exam's address shows until the start, then the exam."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from app.identity.models import Role
from tests.conftest import START, Candidate
from tests.proctoring.conftest import staff_member
from tests.web.test_router import HTML, browser_sign_in

STARTS = START + timedelta(hours=1)


async def _sitting(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> str:
    admin = await staff_member(client, sessionmaker, clock, Role.admin, "Ada Admin")
    r = await admin.post(
        "/api/v1/sittings",
        json={
            "exam_code": "test-foundation",
            "starts_at": STARTS.isoformat(),
            "check_in_opens_at": START.isoformat(),
            "capacity": 3,
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_the_introduction_lists_sittings_to_check_in_to(
    client: httpx.AsyncClient,
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    sitting_id = await _sitting(client, sessionmaker, clock)
    await browser_sign_in(client, candidate)
    page = (await client.get("/exams/test-foundation", headers=HTML)).text
    assert "Scheduled sittings" in page
    assert "Starts 2 March 2026, 10:00 UTC" in page
    assert f'name="sitting" value="{sitting_id}"' in page
    assert "3 seats left" in page

    attempt = (await candidate.post(f"/api/v1/sittings/{sitting_id}/check-in")).json()
    page = (await client.get("/exams/test-foundation", headers=HTML)).text
    assert f'href="/attempts/{attempt["id"]}"' in page
    assert "go to the waiting room" in page


async def test_the_exam_address_is_a_waiting_room_until_the_start(
    client: httpx.AsyncClient,
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    sitting_id = await _sitting(client, sessionmaker, clock)
    attempt = (await candidate.post(f"/api/v1/sittings/{sitting_id}/check-in")).json()
    await browser_sign_in(client, candidate)
    clock.set(STARTS - timedelta(minutes=2, seconds=30))
    page = (await client.get(f"/attempts/{attempt['id']}", headers=HTML)).text
    assert 'id="waiting"' in page
    assert 'data-starts-in="150"' in page  # from the server's clock
    assert "Your 30 minutes start then" in page
    assert "/static/waiting.js" in page
    clock.set(STARTS)
    page = (await client.get(f"/attempts/{attempt['id']}", headers=HTML)).text
    assert 'id="exam"' in page and 'id="waiting"' not in page


async def test_a_moved_sitting_says_so_in_the_waiting_room_and_the_introduction(
    client: httpx.AsyncClient,
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    sitting_id = await _sitting(client, sessionmaker, clock)
    attempt = (await candidate.post(f"/api/v1/sittings/{sitting_id}/check-in")).json()
    admin = await staff_member(client, sessionmaker, clock, Role.admin, "Ada Admin")
    later = STARTS + timedelta(hours=2)
    r = await admin.patch(
        f"/api/v1/sittings/{sitting_id}",
        json={"starts_at": later.isoformat(), "reason": "The exam room is flooded."},
    )
    assert r.status_code == 200, r.text
    await browser_sign_in(client, candidate)
    page = (await client.get(f"/attempts/{attempt['id']}", headers=HTML)).text
    assert 'id="sitting-moved"' in page
    assert "It was to start at 2 March 2026, 10:00 UTC" in page
    assert "it now starts at 2 March 2026, 12:00 UTC" in page
    assert "The exam room is flooded." in page
    assert f'data-starts-at="{later.isoformat()}"' in page
    intro = (await client.get("/exams/test-foundation", headers=HTML)).text
    assert "Moved: it was to start 2 March 2026, 10:00 UTC. The exam room is flooded." in intro


async def test_a_cancelled_sitting_says_so_where_its_waiting_room_was(
    client: httpx.AsyncClient,
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    sitting_id = await _sitting(client, sessionmaker, clock)
    attempt = (await candidate.post(f"/api/v1/sittings/{sitting_id}/check-in")).json()
    admin = await staff_member(client, sessionmaker, clock, Role.admin, "Ada Admin")
    r = await admin.post(
        f"/api/v1/sittings/{sitting_id}/cancel", json={"reason": "No proctor is available."}
    )
    assert r.status_code == 200, r.text
    await browser_sign_in(client, candidate)
    waiting_room = await client.get(f"/attempts/{attempt['id']}", headers=HTML)
    assert waiting_room.status_code == 303
    assert waiting_room.headers["location"] == f"/attempts/{attempt['id']}/result"
    page = (await client.get(f"/attempts/{attempt['id']}/result", headers=HTML)).text
    assert "This sitting was cancelled" in page
    assert "which was to start at 2 March 2026, 10:00 UTC" in page
    assert "Reason given: No proctor is available." in page
    assert 'href="/exams/test-foundation"' in page
    assert "result.js" not in page
