"""Real issued credentials checked as a wallet or a relying party would, by software
written by others: Node's ``jose`` finding the key from the credential's own header,
``jsonld`` in safe mode with the official contexts from their npm packages, Digital
Bazaar's Bitstring Status List check, and the Python ``openbadgeslib`` OB 3.0 verifier
(with its baked-image reader). Covered: a new credential, one signed before a key
rotation, a renewed one signed RS256 after it, and a revoked one before and after."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc.jwk import JWKRegistry
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.certificates.keys import rotate_file
from app.certificates.status import add_months
from app.config import Settings
from app.core.clock import ManualClock
from app.main import create_app
from tests.certificates.conftest import pass_exam, staff
from tests.certificates.test_credentials import parts
from tests.conftest import Candidate, sign_up

INTEROP = Path(__file__).parent / "interop"
BASE = "http://127.0.0.1:8000"


def _node_ready() -> bool:
    return shutil.which("node") is not None and (INTEROP / "node_modules").is_dir()


pytestmark = pytest.mark.skipif(
    not _node_ready() and os.environ.get("CI") != "true",
    reason="run `npm ci --prefix tests/certificates/interop` for the independent verifiers",
)


@pytest.fixture
def clock() -> ManualClock:
    # openbadgeslib judges validity by the wall clock: the credentials are issued a day
    # before it (the exams the test sits move the clock on by minutes).
    return ManualClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))


class Issuer:
    """The app, restarted as after `assay keys rotate`, and what its links answer."""

    def __init__(self, settings: Settings, clock: ManualClock, engine: AsyncEngine) -> None:
        self.settings, self.clock, self.engine = settings, clock, engine
        self.app: FastAPI | None = None

    def start(self) -> httpx.AsyncClient:
        self.app = create_app(self.settings, self.clock, engine=self.engine, run_sweeper=False)
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url=BASE)


async def _get(client: httpx.AsyncClient, url: str, accept: str = "application/json") -> Any:
    assert url.startswith(BASE), url
    r = await client.get(url.removeprefix(BASE), headers={"Accept": accept})
    assert r.status_code == 200, (url, r.text)
    return r.json()


async def _published(client: httpx.AsyncClient, tokens: list[str]) -> dict[str, Any]:
    """What the links in the credentials answer: key URLs, achievements, the issuer."""
    documents: dict[str, Any] = {}
    for token in tokens:
        header, vc = parts(token)
        documents[header["kid"]] = await _get(client, header["kid"])
        issuer_id = vc["issuer"] if isinstance(vc["issuer"], str) else vc["issuer"]["id"]
        documents[issuer_id] = await _get(client, issuer_id)
        if "achievement" in vc["credentialSubject"]:  # not the status list
            achievement_id = vc["credentialSubject"]["achievement"]["id"]
            documents[achievement_id] = await _get(client, achievement_id, "application/ld+json")
    return documents


async def _node_verify(
    client: httpx.AsyncClient, clock: ManualClock, credentials: dict[str, str], tmp: Path
) -> dict[str, dict[str, Any]]:
    status_list = (await client.get("/api/v1/status-lists/1")).text
    tokens = [*credentials.values(), status_list]
    payload = {
        "now": clock.now().isoformat(),
        "jwks": await _get(client, f"{BASE}/.well-known/jwks.json"),
        "statusList": status_list,
        "documents": await _published(client, tokens),
        "credentials": [{"name": n, "token": t} for n, t in credentials.items()],
    }
    source = tmp / "input.json"
    source.write_text(json.dumps(payload))
    node = await asyncio.create_subprocess_exec(
        "node",
        str(INTEROP / "verify.mjs"),
        str(source),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(node.communicate(), timeout=120)
    assert node.returncode == 0, err.decode()
    return {r["name"]: r for r in json.loads(out)}


def _pem(jwk: dict[str, str]) -> bytes:
    return JWKRegistry.import_key(jwk).as_pem(private=False)  # type: ignore[arg-type]


def _openbadgeslib_verify(token: str, status_list: bytes, *, list_signed_by_same_key: bool) -> Any:
    header, _ = parts(token)
    verifier = OB3Verifier(_pem(header["jwk"]))
    return verifier.verify(
        token,
        check_status=True,
        verify_status_list=list_signed_by_same_key,
        download=lambda url: status_list,
    )


async def test_independent_verifiers_accept_new_rotated_renewed_rs256_and_revoked_credentials(
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "keys" / "signing-keys.json"
    rotate_file(key_file, clock, "ES256")
    issuer = Issuer(settings.model_copy(update={"signing_keys_file": key_file}), clock, engine)
    now = clock.now()

    async with issuer.start() as client:
        # Ada certified 33 months ago: in her renewal window today.
        clock.set(datetime.combine(add_months(now.date(), -33), now.time(), tzinfo=UTC))
        ada = await sign_up(client, name="Ada Lovelace", email="ada@example.org")
        ada_first = str((await pass_exam(ada, sessionmaker, clock))["certificate_id"])
        clock.set(now)
        await ada.sign_in()
        before_rotation = await _download(ada, ada_first)
        grace = await sign_up(client, name="Grace Hopper", email="grace@example.org")
        new_id = str((await pass_exam(grace, sessionmaker, clock))["certificate_id"])
        new = await _download(grace, new_id)
        mallory = await sign_up(client, name="Mallory Cheat", email="mallory@example.org")
        revoked_id = str((await pass_exam(mallory, sessionmaker, clock))["certificate_id"])
        to_revoke = await _download(mallory, revoked_id)
        before = await _node_verify(client, clock, {"to_revoke": to_revoke}, tmp_path)
        assert before["to_revoke"] == {**before["to_revoke"], "verified": True, "revoked": False}
        proctor = await staff(client, sessionmaker, clock)
        r = await proctor.post(
            f"/api/v1/certificates/{revoked_id}/revocation", json={"reason": "Misconduct"}
        )
        assert r.status_code == 200, r.text

    rotate_file(key_file, clock, "RS256")
    async with issuer.start() as client:  # restarted after `assay keys rotate`
        ada.client = client
        await ada.sign_in()
        renewal = await pass_exam(
            ada, sessionmaker, clock, start_url=f"/api/v1/certificates/{ada_first}/renewal"
        )
        renewed = await _download(ada, str(renewal["certificate_id"]))
        assert parts(renewed)[0]["alg"] == "RS256" and parts(before_rotation)[0]["alg"] == "ES256"
        credentials = {
            "new": new,
            "before_rotation": before_rotation,
            "renewed_rs256": renewed,
            "revoked": to_revoke,
        }
        results = await _node_verify(client, clock, credentials, tmp_path)
        status_list = (await client.get("/api/v1/status-lists/1")).content
        baked = await ada.get(f"/api/v1/certificates/{renewal['certificate_id']}/badge.svg")

    for name in ("new", "before_rotation", "renewed_rs256"):
        assert results[name]["verified"] is True, results[name]
        assert results[name]["revoked"] is False, results[name]
    assert results["revoked"]["verified"] is True and results["revoked"]["revoked"] is True
    assert results["renewed_rs256"]["alg"] == "RS256"

    # openbadgeslib: signature, structure, contexts, validity window and status.
    for token, same_key in ((new, False), (before_rotation, False), (renewed, True)):
        credential = _openbadgeslib_verify(token, status_list, list_signed_by_same_key=same_key)
        assert credential.id == parts(token)[1]["id"]
    with pytest.raises(OB3VerificationError, match="revocation' is set"):
        _openbadgeslib_verify(to_revoke, status_list, list_signed_by_same_key=False)
    # The baked badge carries exactly the credential, and it verifies.
    assert baked.status_code == 200 and baked.headers["content-type"].startswith("image/svg+xml")
    extracted = OB3Verifier.extract_token_from_svg(baked.content)
    assert parts(extracted)[1]["id"] == parts(renewed)[1]["id"]
    _openbadgeslib_verify(extracted, status_list, list_signed_by_same_key=True)


async def _download(candidate: Candidate, certificate_id: str) -> str:
    r = await candidate.get(f"/api/v1/certificates/{certificate_id}/credential")
    assert r.status_code == 200, r.text
    return r.text
