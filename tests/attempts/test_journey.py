"""From registration to a verified certificate, through the public API only."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from tests.attempts.helpers import keyed_labels, wrong_labels
from tests.conftest import Candidate, sign_up


async def _sit(
    candidate: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    *,
    right: int,
    exam: str = "test-foundation",
) -> dict[str, object]:
    started = await candidate.post(f"/api/v1/exams/{exam}/attempts")
    assert started.status_code == 201, started.text
    attempt = started.json()
    keys = await keyed_labels(sessionmaker, attempt["id"])
    for index, slot in enumerate(attempt["items"]):
        item = await candidate.get(f"/api/v1/attempts/{attempt['id']}/items/{slot['ref']}")
        assert item.status_code == 200
        choice = keys[slot["ref"]] if index < right else wrong_labels(keys[slot["ref"]])
        clock.advance(seconds=20)
        saved = await candidate.put(
            f"/api/v1/attempts/{attempt['id']}/responses/{slot['ref']}",
            json={"choices": choice, "seq": 1},
        )
        assert saved.status_code == 200, saved.text
    submitted = await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    assert submitted.status_code == 202
    result = await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")
    assert result.status_code == 200
    return dict(result.json())


async def test_candidate_passes_and_employer_verifies_the_certificate(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client, name="Grace Brewster Hopper")
    catalog = (await client.get("/api/v1/exams")).json()
    foundation = next(e for e in catalog if e["code"] == "test-foundation")
    assert foundation["pass_mark"] == 0.70
    assert foundation["sections"] == [{"kind": "mcq", "items": 5, "weight": 1.0}]

    result = await _sit(candidate, sessionmaker, clock, right=4)  # 4 of 5 = 80%

    assert result["status"] == "scored"
    assert result["passed"] is True
    assert result["score"] == 0.8
    assert result["pass_mark"] == 0.70
    assert result["sections"] == [{"kind": "mcq", "score": 0.8, "weight": 1.0}]
    certificate_id = result["certificate_id"]
    assert isinstance(certificate_id, str) and len(certificate_id) == 20

    mine = (await candidate.get("/api/v1/certificates")).json()
    assert [c["certificate_id"] for c in mine] == [certificate_id]

    # The holder's name shows only to someone who knows their last name (issue #6).
    verified = await client.get(f"/api/v1/verify/{certificate_id}", params={"last_name": "Hopper"})
    assert verified.status_code == 200
    body = verified.json()
    assert body["status"] == "active"
    assert body["holder_name"] == "Grace Brewster Hopper"
    assert body["exam_code"] == "test-foundation"
    assert body["issued_on"] == "2026-03-02"
    assert body["expires_on"] == "2029-03-02"  # 36 months

    # Typed in lower case without dashes, it is the same certificate.
    relaxed = await client.get(f"/api/v1/verify/{certificate_id.replace('-', '').lower()}")
    assert relaxed.json()["certificate_id"] == certificate_id

    clock.set(clock.now().replace(year=2029, month=3, day=3))
    assert (await client.get(f"/api/v1/verify/{certificate_id}")).json()["status"] == "expired"


async def test_failing_attempt_gets_no_certificate(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client)
    result = await _sit(candidate, sessionmaker, clock, right=3)  # 60% < 70%
    assert result["passed"] is False
    assert result["score"] == 0.6
    assert result["certificate_id"] is None
    assert (await candidate.get("/api/v1/certificates")).json() == []


async def test_score_exactly_on_the_pass_mark_passes(
    client: httpx.AsyncClient,
    bank_dir: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    from app.core.db import session_scope
    from app.exams import service as exams_service
    from app.exams.content import load_bank
    from tests.bank import blueprint, standard_items, write_bank

    # 10 items at 70%: 7 right is exactly the pass mark.
    write_bank(
        bank_dir,
        [
            blueprint(
                "test-foundation",
                draws=[
                    {"domain": "lifecycle", "level": "foundation", "count": 6},
                    {"domain": "data", "level": "foundation", "count": 4},
                ],
            )
        ],
        standard_items(),
    )
    async with session_scope(sessionmaker) as session:
        await exams_service.publish_bank(session, clock, load_bank(bank_dir))
    result = await _sit(await sign_up(client), sessionmaker, clock, right=7)
    assert result["score"] == 0.7
    assert result["passed"] is True


async def test_professional_needs_a_current_foundation(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client)
    refused = await candidate.post("/api/v1/exams/test-professional/attempts")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "prerequisite_missing"

    await _sit(candidate, sessionmaker, clock, right=5)
    result = await _sit(candidate, sessionmaker, clock, right=5, exam="test-professional")
    assert result["passed"] is True

    # Once the foundation certificate has expired, it no longer opens the door.
    other = await sign_up(client)
    await _sit(other, sessionmaker, clock, right=5)
    clock.set(clock.now().replace(year=2029, month=6))
    await other.sign_in()
    late = await other.post("/api/v1/exams/test-professional/attempts")
    assert late.json()["error"]["code"] == "prerequisite_missing"
