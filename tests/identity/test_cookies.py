"""Browser sessions: the access token in an HttpOnly cookie, and CSRF protection for
every state-changing request made with it; bearer tokens keep working without it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.core.clock import ManualClock
from app.main import create_app
from tests.conftest import PASSWORD, Candidate, sign_up


async def _cookie_session(client: httpx.AsyncClient, candidate: Candidate) -> str:
    r = await client.post(
        "/api/v1/auth/session", json={"email": candidate.email, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def _set_cookie_headers(response: httpx.Response) -> dict[str, str]:
    return {
        header.split("=", 1)[0]: header.lower()
        for header in response.headers.get_list("set-cookie")
    }


async def test_sign_in_sets_an_httponly_lax_session_cookie(
    client: httpx.AsyncClient, candidate: Candidate
) -> None:
    r = await client.post(
        "/api/v1/auth/session", json={"email": candidate.email, "password": PASSWORD}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["email"] == candidate.email
    assert "access_token" not in body  # the token stays out of reach of scripts
    cookies = _set_cookie_headers(r)
    session = cookies["assay_session"]
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session
    assert "secure" not in session  # test env over plain http
    csrf = cookies["assay_csrf"]
    assert "httponly" not in csrf and "samesite=lax" in csrf
    assert client.cookies["assay_csrf"] == body["csrf_token"]

    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == candidate.email


async def test_cookies_are_secure_over_https(
    app: FastAPI, candidate: Candidate, published: Path
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://assay.test") as secure:
        r = await secure.post(
            "/api/v1/auth/session", json={"email": candidate.email, "password": PASSWORD}
        )
    assert all("; secure" in c for c in _set_cookie_headers(r).values())


async def test_production_cookies_are_secure_even_behind_a_plain_http_proxy(
    settings: Settings, clock: ManualClock, engine: AsyncEngine, candidate: Candidate
) -> None:
    production = settings.model_copy(update={"env": "production"})
    app = create_app(production, clock, engine=engine, run_sweeper=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://assay.test") as client:
        r = await client.post(
            "/api/v1/auth/session", json={"email": candidate.email, "password": PASSWORD}
        )
    assert r.status_code == 200
    assert all("; secure" in c for c in _set_cookie_headers(r).values())


async def test_wrong_password_sets_no_cookie(
    client: httpx.AsyncClient, candidate: Candidate
) -> None:
    r = await client.post(
        "/api/v1/auth/session", json={"email": candidate.email, "password": "not the password"}
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_credentials"
    assert "set-cookie" not in r.headers


async def test_cookie_sign_in_takes_json_only(
    client: httpx.AsyncClient, candidate: Candidate
) -> None:
    # A cross-site HTML form can post urlencoded data, never JSON: no login CSRF.
    r = await client.post(
        "/api/v1/auth/session", data={"email": candidate.email, "password": PASSWORD}
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"
    assert "set-cookie" not in r.headers


async def test_state_changing_cookie_request_without_csrf_is_refused(
    client: httpx.AsyncClient, candidate: Candidate, published: Path
) -> None:
    await _cookie_session(client, candidate)
    refused = await client.post("/api/v1/exams/test-foundation/attempts")
    assert refused.status_code == 403
    assert refused.json() == {
        "error": {"code": "csrf_failed", "message": refused.json()["error"]["message"]}
    }
    wrong = await client.post(
        "/api/v1/exams/test-foundation/attempts", headers={"X-CSRF-Token": "0" * 64}
    )
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "csrf_failed"
    # Nothing was started by the refused requests.
    assert (await candidate.post("/api/v1/exams/test-foundation/attempts")).status_code == 201


async def test_cookie_request_with_its_csrf_value_is_accepted(
    client: httpx.AsyncClient, candidate: Candidate, published: Path
) -> None:
    csrf = await _cookie_session(client, candidate)
    started = await client.post(
        "/api/v1/exams/test-foundation/attempts", headers={"X-CSRF-Token": csrf}
    )
    assert started.status_code == 201, started.text
    attempt = started.json()
    ref = attempt["items"][0]["ref"]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{ref}"
    # The autosave hot path follows the same rule.
    assert (await client.put(url, json={"choices": ["a"], "seq": 1})).status_code == 403
    saved = await client.put(url, json={"choices": ["a"], "seq": 1}, headers={"X-CSRF-Token": csrf})
    assert saved.status_code == 200
    # Reading needs no CSRF value.
    state = await client.get(f"/api/v1/attempts/{attempt['id']}")
    assert state.json()["items"][0]["answered"] is True


async def test_a_csrf_value_belongs_to_its_own_session(
    client: httpx.AsyncClient, app: FastAPI, published: Path
) -> None:
    ada = await sign_up(client, name="Ada Lovelace")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://assay.test") as other:
        mallory = await sign_up(other, name="Mallory Example")
        mallory_csrf = await _cookie_session(other, mallory)
    await _cookie_session(client, ada)
    # A value from another session (or planted in the csrf cookie) does not pass.
    client.cookies.set("assay_csrf", mallory_csrf)
    r = await client.post(
        "/api/v1/exams/test-foundation/attempts", headers={"X-CSRF-Token": mallory_csrf}
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"


async def test_bearer_requests_need_no_csrf(candidate: Candidate, published: Path) -> None:
    started = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert started.status_code == 201


async def test_bearer_wins_over_a_cookie(client: httpx.AsyncClient, published: Path) -> None:
    ada = await sign_up(client, name="Ada Lovelace")
    grace = await sign_up(client, name="Grace Hopper")
    await _cookie_session(client, grace)
    me = await ada.get("/api/v1/me")
    assert me.json()["full_name"] == "Ada Lovelace"
    started = await ada.post("/api/v1/exams/test-foundation/attempts")
    assert started.status_code == 201


@pytest.mark.parametrize("cookie", ["", "not-a-token"])
async def test_a_bad_session_cookie_is_not_a_session(
    client: httpx.AsyncClient, cookie: str
) -> None:
    client.cookies.set("assay_session", cookie)
    r = await client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json()["error"]["code"] in ("not_authenticated", "invalid_token")


async def test_sign_out_clears_both_cookies(
    client: httpx.AsyncClient, candidate: Candidate
) -> None:
    await _cookie_session(client, candidate)
    r = await client.delete("/api/v1/auth/session")
    assert r.status_code == 204
    cookies = _set_cookie_headers(r)
    assert set(cookies) == {"assay_session", "assay_csrf"}
    assert all("max-age=0" in c for c in cookies.values())
    assert (await client.get("/api/v1/me")).status_code == 401
