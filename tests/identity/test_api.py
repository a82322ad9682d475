from __future__ import annotations

from typing import Literal

import httpx
import pytest
from argon2 import PasswordHasher

from app.core import security
from tests.conftest import PASSWORD, sign_up


async def test_register_sign_in_and_me(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/register",
        json={"email": "Ada@Example.org", "password": PASSWORD, "full_name": "  Ada   Lovelace "},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["email"] == "ada@example.org"
    assert body["full_name"] == "Ada Lovelace"
    assert body["role"] == "candidate"
    assert "password" not in r.text and "hash" not in r.text

    token = await client.post(
        "/api/v1/auth/token", data={"username": "ADA@example.org", "password": PASSWORD}
    )
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"
    assert token.json()["expires_in"] == 12 * 3600
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.json()["id"] == body["id"]


async def test_one_account_per_email(client: httpx.AsyncClient) -> None:
    await sign_up(client, email="twice@example.org")
    again = await client.post(
        "/api/v1/auth/register",
        json={"email": "TWICE@example.org", "password": PASSWORD, "full_name": "Other"},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "not-an-email", "password": PASSWORD, "full_name": "X"},
        {"email": "a@example.org", "password": "short", "full_name": "X"},
        {"email": "a@example.org", "password": PASSWORD, "full_name": "   "},
        {"email": "a@example.org", "password": PASSWORD},
    ],
)
async def test_registration_refuses_bad_input(
    client: httpx.AsyncClient, payload: dict[str, str]
) -> None:
    r = await client.post("/api/v1/auth/register", json=payload)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


async def test_login_costs_the_same_for_unknown_emails(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sign_up(client, email="known@example.org")
    verified: list[bool] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            verified.append(True)
            return super().verify(hash, password)

    monkeypatch.setattr(security._passwords, "hasher", CountingHasher())
    for username in ("known@example.org", "unknown@example.org"):
        r = await client.post(
            "/api/v1/auth/token", data={"username": username, "password": "wrong password!"}
        )
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "invalid_credentials"
    assert len(verified) == 2  # one argon2 verify each, known or not
