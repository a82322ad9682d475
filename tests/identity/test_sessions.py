"""Sessions that end: signing out, a password change and a deleted account end the
token at once (every route, the autosave hot path included), and a token must name a
session of an existing user (the probes of issue 17)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.core.clock import ManualClock
from app.core.db import create_engine, dispose_engine, session_scope
from app.identity import dependencies as identity_deps
from app.identity.models import User
from app.main import create_app
from tests.conftest import PASSWORD, Candidate, sign_up


def _ended(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] in ("session_ended", "invalid_token")


async def _attempt(candidate: Candidate) -> str:
    r = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _save(candidate: Candidate, attempt_id: str, seq: int) -> httpx.Response:
    return await candidate.put(
        f"/api/v1/attempts/{attempt_id}/responses/q1", json={"choices": [], "seq": seq}
    )


async def test_signing_out_ends_the_token_everywhere(candidate: Candidate, published: Path) -> None:
    attempt_id = await _attempt(candidate)
    assert (await _save(candidate, attempt_id, 1)).status_code == 200  # cached as good
    assert (
        await candidate.client.delete("/api/v1/auth/session", headers=candidate.headers)
    ).status_code == 204
    _ended(await candidate.get("/api/v1/me"))
    # The hot paths too: the exam page's reads and autosave.
    _ended(await candidate.get(f"/api/v1/attempts/{attempt_id}"))
    _ended(await candidate.get(f"/api/v1/attempts/{attempt_id}/items/q1"))
    _ended(await _save(candidate, attempt_id, 2))
    # Another sign-in is a new session and works.
    await candidate.sign_in()
    assert (await _save(candidate, attempt_id, 3)).status_code == 200


async def test_signing_out_of_the_browser_ends_the_cookie(client: httpx.AsyncClient) -> None:
    candidate = await sign_up(client)
    r = await client.post(
        "/api/v1/auth/session", json={"email": candidate.email, "password": PASSWORD}
    )
    assert r.status_code == 200
    cookie = client.cookies.get("assay_session")
    assert cookie
    assert (await client.get("/api/v1/me")).status_code == 200
    assert (await client.delete("/api/v1/auth/session")).status_code == 204
    client.cookies.set("assay_session", cookie)  # a copy kept by whoever stole it
    _ended(await client.get("/api/v1/me"))
    # The pages see it too: a data page sends the visitor to sign in.
    page = await client.get("/certificates", headers={"accept": "text/html"})
    assert page.status_code in (302, 303, 307) and "/sign-in" in page.headers["location"]


async def test_a_password_change_ends_every_session(client: httpx.AsyncClient) -> None:
    candidate = await sign_up(client)
    other = Candidate(client, candidate.email, "", candidate.id)
    await other.sign_in()
    wrong = await candidate.post(
        "/api/v1/me/password",
        json={"current_password": "not it at all", "new_password": "a new password 1"},
    )
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_password"
    assert (await other.get("/api/v1/me")).status_code == 200
    r = await candidate.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a new password 1"},
    )
    assert r.status_code == 204, r.text
    _ended(await candidate.get("/api/v1/me"))
    _ended(await other.get("/api/v1/me"))
    old = await client.post(
        "/api/v1/auth/token", data={"username": candidate.email, "password": PASSWORD}
    )
    assert old.status_code == 401
    new = await client.post(
        "/api/v1/auth/token", data={"username": candidate.email, "password": "a new password 1"}
    )
    assert new.status_code == 200


async def test_a_deleted_users_token_is_refused_not_a_500(
    candidate: Candidate, published: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessionmaker) as session:
        await session.execute(delete(User).where(User.id == uuid.UUID(candidate.id)))
    _ended(await candidate.post("/api/v1/exams/test-foundation/attempts"))
    _ended(await candidate.get("/api/v1/me"))
    _ended(await candidate.get("/api/v1/certificates"))


async def test_a_token_for_an_unknown_user_or_session_is_refused(
    app: FastAPI, client: httpx.AsyncClient, candidate: Candidate, published: Path
) -> None:
    tokens = app.state.tokens
    for claims in (
        {"sid": str(uuid.uuid4())},  # no such session
        {},  # a token from before sessions
        {"sid": "not-a-uuid"},
    ):
        token, _ = tokens.issue(str(uuid.uuid4()), "access", timedelta(hours=1), **claims)
        r = await client.post(
            "/api/v1/exams/test-foundation/attempts", headers={"Authorization": f"Bearer {token}"}
        )
        _ended(r)
    # Someone else's session id under another subject is refused too.
    own = candidate.headers["Authorization"].removeprefix("Bearer ")
    sid = tokens.verify(own, "access")["sid"]
    forged, _ = tokens.issue(str(uuid.uuid4()), "access", timedelta(hours=1), sid=sid)
    _ended(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}))


async def test_an_expired_session_row_is_refused(
    candidate: Candidate, clock: ManualClock, published: Path
) -> None:
    attempt_id = await _attempt(candidate)
    assert (await _save(candidate, attempt_id, 1)).status_code == 200
    clock.advance(hours=13)  # past the 12-hour sign-in (and the token with it)
    _ended(await candidate.get("/api/v1/me"))


async def _second_app(
    settings: Settings, clock: ManualClock, url: str
) -> tuple[FastAPI, AsyncEngine]:
    engine = create_engine(url)
    return create_app(settings, clock, engine=engine, run_sweeper=False), engine


async def test_another_process_signing_out_reaches_the_hot_path(
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
    database_url: str,
    app: FastAPI,
    candidate: Candidate,
    published: Path,
) -> None:
    """Two processes (apps with engines of their own): the first caches the session on
    autosave, the second signs out. On PostgreSQL the change feed evicts it at once; on
    SQLite (one process in production; another here, like the CLI) within
    ASSAY_SESSION_CACHE_SECONDS."""
    attempt_id = await _attempt(candidate)
    assert (await _save(candidate, attempt_id, 1)).status_code == 200
    other, other_engine = await _second_app(settings, clock, database_url)
    check = identity_deps.session_check(app)
    heard = asyncio.Event()
    forget = check.forget

    def forgetting(*sids: Any) -> None:
        forget(*sids)
        heard.set()

    check.forget = forgetting  # type: ignore[method-assign]
    try:
        async with identity_deps.session_changes(app):
            transport = httpx.ASGITransport(app=other, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://o.test") as second:
                r = await second.delete("/api/v1/auth/session", headers=candidate.headers)
                assert r.status_code == 204
            if engine.dialect.name == "postgresql":
                await asyncio.wait_for(heard.wait(), 10)
            else:
                assert (await _save(candidate, attempt_id, 2)).status_code == 200
                clock.advance(seconds=settings.session_cache_seconds)
            _ended(await _save(candidate, attempt_id, 3))
    finally:
        await dispose_engine(other_engine)


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/certificates"])
async def test_without_a_token_it_is_still_a_plain_401(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"
