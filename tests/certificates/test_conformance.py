"""The links in a credential answer: the key its header names, the achievement and the
issuer (JSON-LD for machines, a page for people), the badge image; RS256 keys sign with
their own algorithm and nothing else; production refuses a public URL nobody can reach."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.certificates.keys import rotate_file
from app.config import Settings
from app.core.clock import ManualClock
from app.core.security import InvalidCredential
from app.main import create_app
from tests.certificates.test_credentials import b64, download, earned, ob_validator, parts
from tests.conftest import sign_up

LD = "application/ld+json"


async def test_the_key_a_credential_names_answers_at_its_kid_url(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client)
    token = await download(candidate, await earned(candidate, sessionmaker, clock))
    header, vc = parts(token)
    answered = await client.get(httpx.URL(header["kid"]).path)
    assert answered.status_code == 200
    assert answered.headers["content-type"].startswith("application/jwk+json")
    assert answered.json() == header["jwk"]
    assert "d" not in answered.json()
    unknown = await client.get("/keys/not-a-key")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    metadata = (await client.get("/.well-known/jwt-vc-issuer")).json()
    assert metadata["issuer"] == vc["iss"]
    assert header["kid"] in [k["kid"] for k in metadata["jwks"]["keys"]]
    # Every term of the credential is defined by the contexts it lists: the schema
    # validator type lives in the extensions context.
    assert vc["@context"][-1] == "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
    status = await client.get("/api/v1/status-lists/1")
    list_header, status_list = parts(status.text)
    assert list_header["typ"] == "JWT" and list_header["jwk"] == header["jwk"]
    # The status list names its issuer by id alone (VC 2.0 defines no Profile or url).
    assert status_list["issuer"] == vc["iss"]


async def test_the_achievement_and_the_issuer_dereference_for_machines_and_people(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client)
    _, vc = parts(await download(candidate, await earned(candidate, sessionmaker, clock)))
    achievement = vc["credentialSubject"]["achievement"]
    path = httpx.URL(achievement["id"]).path
    assert path == "/achievements/test-foundation"

    document = await client.get(path, headers={"Accept": LD})
    assert document.status_code == 200 and document.headers["content-type"].startswith(LD)
    body = document.json()
    assert body["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert {k: v for k, v in body.items() if k != "@context"} == achievement
    # A multiple-choice exam is described as one, with its own facts.
    assert "multiple-choice" in achievement["description"]
    assert "scenario" not in achievement["description"]
    assert "70%" in achievement["criteria"]["narrative"]
    image = await client.get(httpx.URL(achievement["image"]["id"]).path)
    assert image.status_code == 200 and image.headers["content-type"] == "image/svg+xml"
    assert b"<title" in image.content and b'role="img"' in image.content

    page = await client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Test exam test-foundation" in page.text and "Criteria" in page.text
    assert (await client.get("/achievements/no-such-exam")).status_code == 404

    issuer = await client.get(httpx.URL(vc["issuer"]["id"]).path, headers={"Accept": LD})
    assert issuer.json()["id"] == vc["issuer"]["id"] and issuer.json()["type"] == ["Profile"]
    issuer_page = await client.get("/issuer", headers={"Accept": "text/html"})
    assert issuer_page.status_code == 200 and "/.well-known/jwks.json" in issuer_page.text
    assert (await client.get("/badges/grandmaster.svg")).status_code == 404


async def test_a_practical_exam_achievement_says_it_has_scenarios(
    client: httpx.AsyncClient, practical: None
) -> None:
    body = (await client.get("/achievements/test-practical", headers={"Accept": LD})).json()
    assert "2 multiple-choice items and 1 hands-on scenario" in body["description"]
    assert body["image"]["id"].endswith("/badges/professional.svg")


async def test_rs256_keys_sign_and_verify_with_their_own_algorithm_only(
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "signing-keys.json"
    rotate_file(key_file, clock, "RS256")
    app = create_app(
        settings.model_copy(update={"signing_keys_file": key_file}),
        clock,
        engine=engine,
        run_sweeper=False,
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://assay.test") as client:
        candidate = await sign_up(client)
        token = await download(candidate, await earned(candidate, sessionmaker, clock))
    header, vc = parts(token)
    assert header["alg"] == "RS256" and header["jwk"]["kty"] == "RSA"
    assert not sorted(ob_validator().iter_errors(vc), key=str)
    keys = app.state.certificates.keys
    assert keys.verify(token, clock)["jti"] == vc["jti"]
    # The token cannot choose the algorithm: the same signature under another header
    # (HS256 keyed with the public key, or ES256) is refused.
    _, payload, signature = token.split(".")
    for alg in ("HS256", "ES256", "none"):
        forged = b64(json.dumps({**header, "alg": alg}).encode())
        with pytest.raises(InvalidCredential):
            keys.verify(f"{forged}.{payload}.{signature}", clock)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000", "https"),
        ("http://certs.example.org", "https"),
        ("https://127.0.0.1", "loopback"),
        ("https://localhost:8443", "loopback"),
        ("https://[::1]", "loopback"),
        ("https://0.0.0.0", "loopback"),
    ],
)
def test_production_refuses_a_public_url_nobody_else_can_reach(url: str, reason: str) -> None:
    production = {
        "env": "production",
        "secret_key": "x" * 40,
        "database_url": "postgresql+asyncpg://assay@db/assay",
    }
    with pytest.raises(ValueError, match=reason):
        Settings(**production, public_base_url=url)
    assert Settings(**production, public_base_url="https://certs.example.org").env == "production"


def test_a_dev_key_uses_the_configured_algorithm(
    settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    configured = settings.model_copy(
        update={"credential_algorithm": "RS256", "signing_keys_file": tmp_path / "none.json"}
    )
    app: FastAPI = create_app(configured, clock, run_sweeper=False)
    assert app.state.certificates.keys.active_algorithm == "RS256"
