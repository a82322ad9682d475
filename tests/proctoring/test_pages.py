"""The proctors' pages, rendered on the server: only proctors and admins get them, and
they show the queue and an attempt's flags, timeline and forms."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from tests.conftest import PASSWORD, Candidate
from tests.proctoring.conftest import new_candidate, passing_attempt, start

HTML = {"Accept": "text/html"}


async def browser_sign_in(client: httpx.AsyncClient, email: str) -> None:
    r = await client.post("/api/v1/auth/session", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text


async def test_only_proctors_and_admins_get_the_review_pages(
    client: httpx.AsyncClient, published: Path, proctor: Candidate
) -> None:
    anonymous = await client.get("/review", headers=HTML)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?next=%2Freview")
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    await browser_sign_in(client, candidate.email)
    for url in ("/review", f"/review/attempts/{attempt['id']}"):
        page = await client.get(url, headers=HTML)
        assert page.status_code == 403
        assert "Only proctors and admins review attempts." in page.text
    assert 'href="/review"' not in (await client.get("/exams", headers=HTML)).text
    client.cookies.clear()

    await browser_sign_in(client, proctor.email)
    assert 'href="/review"' in (await client.get("/exams", headers=HTML)).text
    own = await start(proctor)
    mine = await client.get(f"/review/attempts/{own['id']}", headers=HTML)
    assert mine.status_code == 403 and "their own attempts" in mine.text
    client.cookies.clear()


async def test_the_queue_and_an_attempt_render_for_a_proctor(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client, "Katherine Johnson")
    attempt_id = await passing_attempt(candidate, sessionmaker, clock, away=30)
    await browser_sign_in(client, proctor.email)
    queue = await client.get("/review", headers=HTML)
    assert queue.status_code == 200
    assert "Katherine Johnson" in queue.text and "High" in queue.text
    assert f'href="/review/attempts/{attempt_id}"' in queue.text
    page = await client.get(f"/review/attempts/{attempt_id}", headers=HTML)
    assert page.status_code == 200
    for text in (
        "Left the exam window",
        "certificate on hold",
        'id="decision-form"',
        "Record decision",
        'id="timeline"',
    ):
        assert text in page.text, text
    assert 'id="extra-time-form"' not in page.text  # not running any more
    client.cookies.clear()
