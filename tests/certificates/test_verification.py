"""Public verification: minimal by ID, full with the last name, the same answer for an
unknown ID and a wrong name, rate limits, the employers' bulk API, revocation at once."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.certificates import ids, service
from app.certificates.statuslist import decode_bits, is_set
from app.config import Settings
from app.core.clock import ManualClock
from app.core.db import session_scope
from app.main import create_app
from tests.certificates.conftest import pass_exam, staff
from tests.certificates.test_credentials import parts, rfc_verify
from tests.conftest import Candidate, sign_up


async def _certified(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    name: str = "Grace Brewster Hopper",
) -> tuple[Candidate, str]:
    candidate = await sign_up(client, name=name)
    result = await pass_exam(candidate, sessionmaker, clock)
    return candidate, str(result["certificate_id"])


def _random_id(rng: random.Random) -> str:
    data = "".join(rng.choice(ids.ALPHABET) for _ in range(ids.DATA_CHARS))
    return data + ids._check(data)


async def test_id_alone_gives_the_minimal_record_and_the_last_name_the_full_one(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    _, certificate_id = await _certified(client, sessionmaker, clock)
    minimal = (await client.get(f"/api/v1/verify/{certificate_id}")).json()
    assert minimal["record"] == "minimal"
    assert minimal["holder_name"] is None
    assert minimal["status"] == "active" and minimal["exam_code"] == "test-foundation"
    assert minimal["issued_on"] == "2026-03-02" and minimal["expires_on"] == "2029-03-02"

    for last_name in ("Hopper", "hopper", " HOPPER ", "Brewster Hopper"):
        full = await client.get(f"/api/v1/verify/{certificate_id}", params={"last_name": last_name})
        assert full.status_code == 200, last_name
        assert full.json()["record"] == "full"
        assert full.json()["holder_name"] == "Grace Brewster Hopper"
    posted = await client.post(
        "/api/v1/verify", json={"certificate_id": certificate_id, "last_name": "Hopper"}
    )
    assert posted.json()["holder_name"] == "Grace Brewster Hopper"


async def test_accents_and_hyphens_in_last_names_match(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    assert service.last_name_matches("José Núñez-García", "nunez garcia")
    assert service.last_name_matches("Siobhán O'Brien", "OBrien")
    assert not service.last_name_matches("Grace Hopper", "per")
    assert not service.last_name_matches("Grace Hopper", "")


async def test_unknown_ids_and_wrong_names_answer_the_same_way(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    _, certificate_id = await _certified(client, sessionmaker, clock)
    wrong_name = await client.get(
        f"/api/v1/verify/{certificate_id}", params={"last_name": "Lovelace"}
    )
    unknown = await client.get(
        f"/api/v1/verify/{ids.display(_random_id(random.Random(1)))}",
        params={"last_name": "Hopper"},
    )
    malformed = await client.get("/api/v1/verify/not-an-id")
    assert wrong_name.status_code == unknown.status_code == malformed.status_code == 404
    assert wrong_name.json() == unknown.json() == malformed.json()
    assert wrong_name.json()["error"]["code"] == "certificate_not_found"


async def test_ten_thousand_random_well_formed_ids_find_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    for n in range(3):
        await _certified(client, sessionmaker, clock, name=f"Holder Number{n}")
    lookup = app.state.certificates.lookup
    rng = random.Random(20260302)
    guesses = {_random_id(rng) for _ in range(10_000)}
    assert len(guesses) == 10_000 and all(ids.normalise(g) == g for g in guesses)
    found = 0
    for guess in guesses:
        try:
            await service.verify_public(lookup, clock, guess)
            found += 1
        except service.CertificateNotFound:
            pass
    assert found == 0
    assert await lookup.find_many(sorted(guesses)) == {}


async def test_lookups_are_rate_limited_per_client(
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    limited = settings.model_copy(update={"verify_per_minute": 5, "verify_misses_per_hour": 3})
    app = create_app(limited, clock, engine=engine, run_sweeper=False)

    def client_from(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 4711))
        return httpx.AsyncClient(transport=transport, base_url="http://assay.test")

    async with client_from("198.51.100.7") as one, client_from("203.0.113.9") as other:
        _, certificate_id = await _certified(one, sessionmaker, clock)
        codes = [(await one.get(f"/api/v1/verify/{certificate_id}")).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        limited_body = (await one.get(f"/api/v1/verify/{certificate_id}")).json()
        assert limited_body["error"]["code"] == "rate_limited"
        # Another client is not affected.
        assert (await other.get(f"/api/v1/verify/{certificate_id}")).status_code == 200
        clock.advance(seconds=60)
        assert (await one.get(f"/api/v1/verify/{certificate_id}")).status_code == 200

        # Misses have a budget of their own (per hour): then every lookup is refused.
        rng = random.Random(3)
        misses = [
            (await other.get(f"/api/v1/verify/{_random_id(rng)}")).status_code for _ in range(3)
        ]
        assert misses == [404, 404, 404]
        assert (await other.get(f"/api/v1/verify/{certificate_id}")).status_code == 429
        clock.advance(minutes=20)  # a third of the hour: one miss earned back
        assert (await other.get(f"/api/v1/verify/{certificate_id}")).status_code == 200


async def test_revocation_shows_at_once_in_verification_and_status_list(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    holder, certificate_id = await _certified(client, sessionmaker, clock)
    _, other_id = await _certified(client, sessionmaker, clock, name="Other Person")
    token = (await holder.get(f"/api/v1/certificates/{certificate_id}/credential")).text
    index = int(parts(token)[1]["credentialStatus"]["statusListIndex"])
    status_url = parts(token)[1]["credentialStatus"]["statusListCredential"]
    jwks = (await client.get("/.well-known/jwks.json")).json()

    async def revoked_bit() -> bool:
        r = await client.get(httpx.URL(status_url).path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vc+jwt")
        status_list = rfc_verify(r.text, jwks)
        assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        bits = decode_bits(status_list["credentialSubject"]["encodedList"])
        assert len(bits) * 8 >= 131_072
        return is_set(bits, index)

    assert (await client.get(f"/api/v1/verify/{certificate_id}")).json()["status"] == "active"
    assert await revoked_bit() is False

    # Candidates cannot revoke.
    refused = await holder.post(
        f"/api/v1/certificates/{certificate_id}/revocation", json={"reason": "mine"}
    )
    assert refused.status_code == 403
    proctor = await staff(client, sessionmaker, clock)
    revoked = await proctor.post(
        f"/api/v1/certificates/{certificate_id}/revocation",
        json={"reason": "Misconduct found on review"},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"

    minimal = (await client.get(f"/api/v1/verify/{certificate_id}")).json()
    assert minimal["status"] == "revoked" and minimal["revocation_reason"] is None
    full = (
        await client.get(f"/api/v1/verify/{certificate_id}", params={"last_name": "Hopper"})
    ).json()
    assert full["revocation_reason"] == "Misconduct found on review"
    assert await revoked_bit() is True
    assert (await client.get(f"/api/v1/verify/{other_id}")).json()["status"] == "active"

    again = await proctor.post(
        f"/api/v1/certificates/{certificate_id}/revocation", json={"reason": "twice"}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "certificate_already_revoked"
    # A revoked certificate is no prerequisite any more.
    await holder.sign_in()
    blocked = await holder.post("/api/v1/exams/test-professional/attempts")
    assert blocked.json()["error"]["code"] == "prerequisite_missing"


async def test_status_list_of_another_id_is_not_found(
    client: httpx.AsyncClient, published: Path
) -> None:
    r = await client.get("/api/v1/status-lists/2")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def _employer_key(sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock) -> str:
    async with session_scope(sessionmaker) as session:
        _, plain = await service.create_employer_key(session, clock, "Acme Hiring")
    return plain


async def test_employers_verify_in_bulk_with_their_key(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    _, hopper = await _certified(client, sessionmaker, clock)
    _, lovelace = await _certified(client, sessionmaker, clock, name="Ada Lovelace")
    key = await _employer_key(sessionmaker, clock)
    rng = random.Random(9)
    wanted = [
        {"certificate_id": hopper, "last_name": "Hopper"},
        {"certificate_id": lovelace.replace("-", "").lower(), "last_name": "lovelace"},
        {"certificate_id": lovelace, "last_name": "Hopper"},  # wrong name
        {"certificate_id": ids.display(_random_id(rng)), "last_name": "Hopper"},
        {"certificate_id": "garbage", "last_name": "Hopper"},
    ] + [{"certificate_id": _random_id(rng), "last_name": "X"} for _ in range(495)]
    r = await client.post(
        "/api/v1/verify/batch",
        json={"certificates": wanted},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len(results) == 500
    assert [x["found"] for x in results[:5]] == [True, True, False, False, False]
    assert results[0]["certificate"]["holder_name"] == "Grace Brewster Hopper"
    assert results[1]["certificate"]["certificate_id"] == lovelace
    assert results[2] == {"certificate_id": lovelace, "found": False, "certificate": None}
    assert not any(x["found"] for x in results[5:])

    too_many = await client.post(
        "/api/v1/verify/batch",
        json={"certificates": wanted + wanted[:1]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert too_many.status_code == 422
    assert too_many.json()["error"]["code"] == "batch_too_large"


@pytest.mark.parametrize(
    "authorization", [None, "Bearer nope", "Bearer assay_ek_000000000000_secret", "Basic x"]
)
async def test_bulk_api_needs_a_valid_employer_key(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    authorization: str | None,
) -> None:
    key = await _employer_key(sessionmaker, clock)
    headers = {"Authorization": authorization} if authorization else {}
    r = await client.post("/api/v1/verify/batch", json={"certificates": []}, headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    r2 = await client.post(
        "/api/v1/verify/batch",
        json={"certificates": []},
        headers={"Authorization": f"Bearer {tampered}"},
    )
    assert r2.status_code == 401


async def test_bulk_api_is_rate_limited_per_key(
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    app = create_app(
        settings.model_copy(update={"employer_ids_per_hour": 600}),
        clock,
        engine=engine,
        run_sweeper=False,
    )
    transport = httpx.ASGITransport(app=app)
    key, other = (
        await _employer_key(sessionmaker, clock),
        await _employer_key(sessionmaker, clock),
    )
    rng = random.Random(5)
    body = {"certificates": [{"certificate_id": _random_id(rng), "last_name": "X"}] * 500}
    async with httpx.AsyncClient(transport=transport, base_url="http://assay.test") as client:

        async def batch(k: str) -> int:
            r = await client.post(
                "/api/v1/verify/batch", json=body, headers={"Authorization": f"Bearer {k}"}
            )
            return r.status_code

        assert await batch(key) == 200
        assert await batch(key) == 429  # 500 + 500 > 600 an hour
        assert await batch(other) == 200
        clock.advance(minutes=50)  # 500 IDs earned back
        assert await batch(key) == 200
