"""The events the exam page reports, and what the server notices by itself: bounded
payloads, a per-attempt rate and cap, sign-ins, address changes and two sessions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.core.clock import ManualClock
from app.proctoring.models import AttemptEvent
from tests.conftest import PASSWORD, Candidate
from tests.proctoring.conftest import new_candidate, start

FLOOD = 2000


async def stored(sessionmaker: async_sessionmaker[AsyncSession], attempt_id: str) -> list[str]:
    import uuid

    async with sessionmaker() as session:
        rows = await session.execute(
            select(AttemptEvent.type)
            .where(AttemptEvent.attempt_id == uuid.UUID(attempt_id))
            .order_by(AttemptEvent.at)
        )
        return list(rows.scalars())


async def test_an_event_is_stored_with_the_servers_time_and_the_pages_claim(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    claimed = "2020-01-01T00:00:00+00:00"
    r = await candidate.post(
        f"/api/v1/attempts/{attempt['id']}/events",
        json={"type": "paste", "at": claimed, "data": {"ref": "q1", "length": 42}},
    )
    assert r.status_code == 201, r.text
    assert r.json()["at"].startswith(clock.now().isoformat()[:19])
    detail = (await proctor.get(f"/api/v1/review/attempts/{attempt['id']}")).json()
    [paste] = [t for t in detail["timeline"] if t["type"] == "paste"]
    assert paste["source"] == "client"
    assert paste["data"]["client_at"].startswith("2020-01-01")
    assert "42 characters" in paste["summary"]


@pytest.mark.parametrize(
    "body",
    [
        {"type": "screenshot"},
        {"type": "paste", "data": {"blob": "x" * 3000}},
        {"type": "paste", "data": {"nested": {"a": 1}}},
        {"type": "paste", "data": {f"k{i}": i for i in range(17)}},
        {"type": "paste", "at": "2026-03-02T09:00:00"},  # no time zone
        {"type": "paste", "extra": True},
    ],
    ids=["unknown-type", "too-big", "nested", "too-many-keys", "naive-time", "extra-field"],
)
async def test_bad_events_are_refused_as_invalid(
    client: httpx.AsyncClient, published: Path, body: dict[str, object]
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    r = await candidate.post(f"/api/v1/attempts/{attempt['id']}/events", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


async def test_events_only_for_ones_own_running_attempt(
    client: httpx.AsyncClient, published: Path
) -> None:
    candidate, other = await new_candidate(client), await new_candidate(client)
    attempt = await start(candidate)
    url = f"/api/v1/attempts/{attempt['id']}/events"
    assert (await client.post(url, json={"type": "copy"})).status_code == 401
    theirs = await other.post(url, json={"type": "copy"})
    assert theirs.status_code == 404 and theirs.json()["error"]["code"] == "attempt_not_found"
    await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    closed = await candidate.post(url, json={"type": "copy"})
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "attempt_closed"


async def test_a_flood_of_events_is_refused_politely_and_others_keep_saving(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    flooder, neighbour = await new_candidate(client), await new_candidate(client)
    flooding, working = await start(flooder), await start(neighbour)
    url = f"/api/v1/attempts/{flooding['id']}/events"
    statuses: dict[int, int] = {}
    refusal: httpx.Response | None = None
    for n in range(FLOOD):
        r = await flooder.post(url, json={"type": "focus_lost", "data": {"n": n}})
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code == 429:
            refusal = r
    # The clock stands still: the burst allowance, then nothing.
    assert statuses == {201: settings.review_events_per_minute, 429: FLOOD - 30}
    assert refusal is not None
    assert refusal.json()["error"]["code"] == "too_many_events"
    assert int(refusal.headers["Retry-After"]) >= 1
    assert refusal.json()["error"]["details"]["retry_after"] == int(refusal.headers["Retry-After"])
    assert len(await stored(sessionmaker, flooding["id"])) == 30

    # Another candidate's autosave and events are unaffected.
    saved = await neighbour.put(
        f"/api/v1/attempts/{working['id']}/responses/q1", json={"choices": ["a"], "seq": 1}
    )
    assert saved.status_code == 200, saved.text
    mine = await neighbour.post(f"/api/v1/attempts/{working['id']}/events", json={"type": "copy"})
    assert mine.status_code == 201


async def test_the_rate_refills_with_the_clock(
    client: httpx.AsyncClient, published: Path, clock: ManualClock
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    url = f"/api/v1/attempts/{attempt['id']}/events"
    for _ in range(30):
        assert (await candidate.post(url, json={"type": "copy"})).status_code == 201
    assert (await candidate.post(url, json={"type": "copy"})).status_code == 429
    clock.advance(seconds=2)  # 30 a minute: one every two seconds
    assert (await candidate.post(url, json={"type": "copy"})).status_code == 201
    assert (await candidate.post(url, json={"type": "copy"})).status_code == 429


# --- what the server notices ----------------------------------------------------------------


@pytest.fixture
async def elsewhere(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The same app reached from another address (a documentation range)."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://assay.test") as other:
        yield other


async def sign_in_from(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_a_second_sign_in_from_elsewhere_while_working_is_flagged_high(
    client: httpx.AsyncClient,
    elsewhere: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    base = f"/api/v1/attempts/{attempt['id']}"
    assert (await candidate.get(base)).status_code == 200  # seen from 127.0.0.1
    clock.advance(seconds=40)
    helper = await sign_in_from(elsewhere, candidate.email)
    assert (await elsewhere.get(base, headers=helper)).status_code == 200
    kinds = await stored(sessionmaker, attempt["id"])
    assert kinds == ["login", "concurrent_session", "ip_changed"]

    detail = (await proctor.get(f"/api/v1/review/attempts/{attempt['id']}")).json()
    provisional = {f["rule"]: f for f in detail["flags"]}
    assert provisional["concurrent_sessions"]["severity"] == "high"
    assert provisional["concurrent_sessions"]["provisional"] is True
    assert provisional["ip_changes"]["severity"] == "low"
    login = next(t for t in detail["timeline"] if t["type"] == "login")
    assert "203.0.113.7" in login["summary"]


async def test_an_address_change_of_one_session_is_noted_once(
    client: httpx.AsyncClient,
    elsewhere: httpx.AsyncClient,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    base = f"/api/v1/attempts/{attempt['id']}"
    await candidate.get(base)
    clock.advance(minutes=5)
    for _ in range(3):  # the laptop moved to another network, same sign-in
        assert (await elsewhere.get(base, headers=candidate.headers)).status_code == 200
    assert await stored(sessionmaker, attempt["id"]) == ["ip_changed"]


async def test_a_new_sign_in_long_after_the_last_one_is_not_concurrent(
    client: httpx.AsyncClient,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    base = f"/api/v1/attempts/{attempt['id']}"
    await candidate.get(base)
    clock.advance(minutes=10)  # the browser crashed; back on the same network
    await candidate.sign_in()
    await candidate.get(base)
    assert await stored(sessionmaker, attempt["id"]) == ["login"]


async def test_autosave_records_nothing_for_proctoring(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    for seq in range(1, 6):
        r = await candidate.put(
            f"/api/v1/attempts/{attempt['id']}/responses/q1", json={"choices": ["a"], "seq": seq}
        )
        assert r.status_code == 200
    async with sessionmaker() as session:
        count = (await session.execute(select(func.count()).select_from(AttemptEvent))).scalar()
    assert count == 0


async def test_a_sign_in_seen_by_two_requests_at_once_is_one_client(
    app: FastAPI,
    published: Path,
    candidate: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    engine: AsyncEngine,
) -> None:
    """Two requests of one sign-in, each the first seen (concurrent, maybe in two
    processes): the later one's insert finds the row the other just committed and notes
    nothing more, where it used to fail with a duplicate key (a 500; tests/faults)."""
    import uuid

    from app.core.db import session_scope
    from app.proctoring import service as proctoring_service
    from app.proctoring.dependencies import review_policy

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers are serialised from BEGIN: the two cannot interleave")
    attempt = await start(candidate)
    attempt_id = uuid.UUID(attempt["id"])
    seen = proctoring_service.ClientInfo("203.0.113.9", "k" * 32, "browser")
    policy = review_policy(app)
    async with session_scope(sessionmaker) as first, session_scope(sessionmaker) as second:
        await proctoring_service.observe(first, clock, policy, attempt_id, seen)
        # The second reads before the first commits, then waits on the key it inserts.
        racing = asyncio.create_task(
            proctoring_service.observe(second, clock, policy, attempt_id, seen)
        )
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query ILIKE 'INSERT INTO attempt_clients%'"
        )
        for _ in range(200):
            async with sessionmaker() as look:
                if await look.scalar(waiting):
                    break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the second insert never waited on the first")
        await first.commit()
        await racing
    async with sessionmaker() as session:
        clients = await proctoring_service.clients_of(session, attempt_id)
    assert [c.session_key for c in clients if c.ip == "203.0.113.9"] == ["k" * 32]
