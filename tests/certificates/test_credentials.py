"""Every certificate is a signed Open Badges 3.0 credential that a stranger can check
with their own JOSE library and our published keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt as rfc_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from jsonschema import Draft201909Validator
from referencing import Registry, Resource
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.certificates.keys import rotate_file
from app.certificates.statuslist import STATUS_LIST_SIZE
from app.config import Settings
from app.core.clock import ManualClock
from app.core.security import InvalidCredential
from app.main import create_app
from tests.certificates.conftest import pass_exam
from tests.conftest import Candidate, sign_up

SCHEMA_FILE = Path(__file__).parent / "standards" / "ob_v3p0_achievementcredential_schema.json"
PUBLISHED_AT = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)


def ob_validator() -> Draft201909Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    resource = Resource.from_contents(schema)
    # The schema's $id says /json-ld/ but credentials point at /json/: both must resolve.
    registry = Registry().with_resources([(schema["$id"], resource), (PUBLISHED_AT, resource)])
    return Draft201909Validator(
        schema, registry=registry, format_checker=Draft201909Validator.FORMAT_CHECKER
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload))


async def earned(
    candidate: Candidate, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> str:
    result = await pass_exam(candidate, sessionmaker, clock)
    assert result["passed"] is True
    return str(result["certificate_id"])


async def download(candidate: Candidate, certificate_id: str) -> str:
    r = await candidate.get(f"/api/v1/certificates/{certificate_id}/credential")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vc+jwt")
    return r.text


def rfc_verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """An independent verifier: joserfc, ES256 only, key by kid from the JWKS."""
    keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    decoded = rfc_jwt.decode(token, keys, algorithms=["ES256"])
    return dict(decoded.claims)


async def test_credential_is_a_valid_open_badge(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client, name="Katherine Johnson", email="kj@example.org")
    certificate_id = await earned(candidate, sessionmaker, clock)
    token = await download(candidate, certificate_id)
    header, vc = parts(token)

    # Open Badges 3.0 VC-JWT: typ "JWT"; the key in the header, and where it is published.
    assert header["alg"] == "ES256" and header["typ"] == "JWT"
    assert header["kid"] == f"http://127.0.0.1:8000/keys/{header['jwk']['kid']}"
    assert set(header["jwk"]) == {"kty", "crv", "x", "y", "kid", "use", "alg"}
    errors = sorted(ob_validator().iter_errors(vc), key=str)
    assert not errors, [e.message for e in errors]
    assert "vc" not in vc
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    subject = vc["credentialSubject"]
    # The schema does not require it: a credential must say whom it is about.
    assert subject.get("id") or subject.get("identifier")
    achievement = subject["achievement"]
    assert achievement["achievementType"] == "Certification"
    assert achievement["name"] and achievement["description"] and achievement["criteria"]
    identity = subject["identifier"][0]
    assert identity["hashed"] is True and identity["identityType"] == "emailAddress"
    assert (
        identity["identityHash"]
        == "sha256$" + hashlib.sha256(("kj@example.org" + identity["salt"]).encode()).hexdigest()
    )
    assert "kj@example.org" not in token and "Johnson" not in json.dumps(vc)
    status = vc["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert 0 <= int(status["statusListIndex"]) < STATUS_LIST_SIZE
    assert vc["credentialSchema"][0]["id"] == PUBLISHED_AT
    # The registered claims mirror the credential.
    assert vc["iss"] == vc["issuer"]["id"]
    assert vc["jti"] == vc["id"]
    assert vc["sub"] == subject["id"]
    assert vc["nbf"] == int(datetime.fromisoformat(vc["validFrom"]).timestamp())
    assert vc["validFrom"].startswith("2026-03-02T")
    assert vc["validUntil"] == "2029-03-02T23:59:59Z"
    assert vc["exp"] == int(datetime(2029, 3, 2, 23, 59, 59, tzinfo=UTC).timestamp())


async def test_credential_verifies_with_joserfc_before_and_after_a_key_rotation(
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "keys" / "signing-keys.json"
    first_kid = rotate_file(key_file, clock)
    configured = settings.model_copy(update={"signing_keys_file": key_file})

    def serve() -> tuple[FastAPI, httpx.AsyncClient]:
        app = create_app(configured, clock, engine=engine, run_sweeper=False)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        return app, httpx.AsyncClient(transport=transport, base_url="http://assay.test")

    _, client = serve()
    async with client:
        candidate = await sign_up(client)
        certificate_id = await earned(candidate, sessionmaker, clock)
        before = await download(candidate, certificate_id)
        jwks_before = (await client.get("/.well-known/jwks.json")).json()
    url = "http://127.0.0.1:8000/keys/"
    # Each key under its thumbprint (what tokens signed before key URLs name) and its URL.
    assert [k["kid"] for k in jwks_before["keys"]] == [first_kid, url + first_kid]
    assert parts(before)[0]["kid"] == url + first_kid
    assert rfc_verify(before, jwks_before)["jti"].startswith("urn:uuid:")

    second_kid = rotate_file(key_file, clock)
    app, client = serve()  # a restart after `assay keys rotate`
    async with client:
        jwks_after = (await client.get("/.well-known/jwks.json")).json()
        candidate.client = client
        await candidate.sign_in()
        after = await download(candidate, certificate_id)
    assert [k["kid"] for k in jwks_after["keys"]] == [
        first_kid,
        second_kid,
        url + first_kid,
        url + second_kid,
    ]
    # Public halves only.
    assert all(set(k) == {"kty", "crv", "x", "y", "kid", "use", "alg"} for k in jwks_after["keys"])
    assert parts(after)[0]["kid"] == url + second_kid
    assert rfc_verify(before, jwks_after) == parts(before)[1]
    assert rfc_verify(after, jwks_after)["jti"] == parts(before)[1]["jti"]
    # Our own verifier agrees.
    keys = app.state.certificates.keys
    assert keys.verify(before, clock)["jti"] == keys.verify(after, clock)["jti"]


async def test_forged_credentials_are_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client)
    token = await download(candidate, await earned(candidate, sessionmaker, clock))
    jwks = (await client.get("/.well-known/jwks.json")).json()
    keys = app.state.certificates.keys
    header_b64, payload_b64, signature = token.split(".")
    header, payload = parts(token)

    tampered_payload = {**payload, "name": "MLOps Grand Master"}
    tampered = f"{header_b64}.{b64(json.dumps(tampered_payload).encode())}.{signature}"

    unsigned = (
        f"{b64(json.dumps({**header, 'alg': 'none'}).encode())}."
        f"{b64(json.dumps(payload).encode())}."
    )

    # The classic confusion attack: HS256 keyed with the issuer's public key.
    public = jwks["keys"][0]
    hs_header = b64(json.dumps({"alg": "HS256", "kid": header["kid"], "typ": "vc+jwt"}).encode())
    signing_input = f"{hs_header}.{payload_b64}".encode()
    for secret in (json.dumps(public).encode(), public["x"].encode()):
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
        confused = f"{hs_header}.{payload_b64}.{b64(mac)}"
        with pytest.raises(InvalidCredential):
            keys.verify(confused, clock)
        with pytest.raises(JoseError):
            rfc_verify(confused, jwks)

    for forged in (tampered, unsigned):
        with pytest.raises(InvalidCredential):
            keys.verify(forged, clock)
        with pytest.raises((JoseError, ValueError)):
            rfc_verify(forged, jwks)

    unknown_kid = (
        f"{b64(json.dumps({**header, 'kid': 'not-ours'}).encode())}.{payload_b64}.{signature}"
    )
    with pytest.raises(InvalidCredential):
        keys.verify(unknown_kid, clock)

    keys.verify(token, clock)  # valid today
    clock.set(clock.now().replace(year=2029, month=3, day=3))
    with pytest.raises(InvalidCredential):
        keys.verify(token, clock)
    # And joserfc, told the same "now", finds it expired too.
    registry = rfc_jwt.JWTClaimsRegistry(
        now=int(clock.now().timestamp()), exp={"essential": True}, nbf={"essential": True}
    )
    with pytest.raises(JoseError):
        registry.validate(rfc_verify(token, jwks))


async def test_only_the_holder_downloads_the_credential(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    holder = await sign_up(client)
    certificate_id = await earned(holder, sessionmaker, clock)
    stranger = await sign_up(client)
    mine = await stranger.get(f"/api/v1/certificates/{certificate_id}/credential")
    unknown = await stranger.get("/api/v1/certificates/AAAAAA-AAAAAA-AAAAAA/credential")
    assert mine.status_code == unknown.status_code == 404
    assert mine.json() == unknown.json()
    anonymous = await client.get(f"/api/v1/certificates/{certificate_id}/credential")
    assert anonymous.status_code == 401


async def test_holder_gets_linkedin_and_download_links(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    holder = await sign_up(client)
    certificate_id = await earned(holder, sessionmaker, clock)
    (mine,) = (await holder.get("/api/v1/certificates")).json()
    link = httpx.URL(mine["linkedin_url"])
    assert link.host == "www.linkedin.com" and link.path == "/profile/add"
    assert link.params["startTask"] == "CERTIFICATION_NAME"
    assert link.params["certId"] == certificate_id
    assert link.params["issueYear"] == "2026" and link.params["expirationYear"] == "2029"
    assert link.params["certUrl"].endswith(f"/verify/{certificate_id}")
    assert mine["credential_url"].endswith(f"/api/v1/certificates/{certificate_id}/credential")
    assert mine["renewal_window_opens"] == "2028-09-02"
