"""Renewal: only in the last six months, from the old expiry date, superseding the old
certificate; a higher level renews the lower levels it requires."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from tests.certificates.conftest import pass_exam
from tests.conftest import Candidate, sign_up


async def _foundation(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> tuple[Candidate, str]:
    candidate = await sign_up(client, name="Ada Lovelace")
    result = await pass_exam(candidate, sessionmaker, clock)
    assert result["passed"] is True
    return candidate, str(result["certificate_id"])  # issued 2026-03-02, expires 2029-03-02


async def _at(clock: ManualClock, day: date, candidate: Candidate) -> None:
    clock.set(clock.now().replace(year=day.year, month=day.month, day=day.day))
    await candidate.sign_in()  # years later, the old token has long expired


async def test_renewal_outside_the_window_is_refused(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate, certificate_id = await _foundation(client, sessionmaker, clock)
    await _at(clock, date(2028, 9, 1), candidate)  # the window opens on 2028-09-02
    by_certificate = await candidate.post(f"/api/v1/certificates/{certificate_id}/renewal")
    assert by_certificate.status_code == 403
    assert by_certificate.json()["error"]["code"] == "renewal_window_closed"
    assert by_certificate.json()["error"]["details"]["window_opens"] == "2028-09-02"
    by_exam = await candidate.post("/api/v1/exams/test-foundation-renewal/attempts")
    assert by_exam.status_code == 403
    assert by_exam.json()["error"]["code"] == "renewal_window_closed"

    await _at(clock, date(2029, 3, 3), candidate)  # expired: too late as well
    late = await candidate.post(f"/api/v1/certificates/{certificate_id}/renewal")
    assert late.json()["error"]["code"] == "renewal_window_closed"

    # Without any certificate there is nothing to renew.
    newcomer = await sign_up(client)
    refused = await newcomer.post("/api/v1/exams/test-foundation-renewal/attempts")
    assert refused.json()["error"]["code"] == "renewal_window_closed"
    # Someone else's certificate is unknown.
    theirs = await newcomer.post(f"/api/v1/certificates/{certificate_id}/renewal")
    assert theirs.status_code == 404


async def test_renewal_inside_the_window_extends_from_the_old_expiry(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate, old_id = await _foundation(client, sessionmaker, clock)
    await _at(clock, date(2028, 9, 2), candidate)  # first day of the window
    assert (await client.get(f"/api/v1/verify/{old_id}")).json()["status"] == "expiring"

    result = await pass_exam(
        candidate, sessionmaker, clock, start_url=f"/api/v1/certificates/{old_id}/renewal"
    )
    assert result["passed"] is True
    new_id = str(result["certificate_id"])
    assert new_id != old_id

    new = (await client.get(f"/api/v1/verify/{new_id}", params={"last_name": "Lovelace"})).json()
    assert new["status"] == "active"
    assert new["exam_code"] == "test-foundation"
    assert new["title"] == "Test exam test-foundation"  # not the renewal exam's title
    assert new["issued_on"] == "2028-09-02"
    assert new["expires_on"] == "2032-03-02"  # old expiry + 36 months: early costs nothing
    assert new["renewal_of"] == old_id

    old = (await client.get(f"/api/v1/verify/{old_id}")).json()
    assert old["status"] == "superseded"
    assert old["superseded_by"] == new_id

    mine = {c["certificate_id"]: c for c in (await candidate.get("/api/v1/certificates")).json()}
    assert mine[old_id]["status"] == "superseded" and mine[new_id]["status"] == "active"
    # Renewed, the renewal exam is closed again until the new window.
    again = await candidate.post("/api/v1/exams/test-foundation-renewal/attempts")
    assert again.json()["error"]["code"] == "renewal_window_closed"


async def test_a_renewal_start_waits_for_admission_like_any_start(
    app: FastAPI,
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate, old_id = await _foundation(client, sessionmaker, clock)
    await _at(clock, date(2028, 9, 2), candidate)
    gate = app.state.admission
    gate.capacity = 1
    busy = await gate.enter(uuid.uuid4(), clock.now())  # a start in flight
    url = f"/api/v1/certificates/{old_id}/renewal"
    waiting = await candidate.post(url)
    assert waiting.status_code == 202, waiting.text
    assert waiting.json()["position"] == 1
    assert waiting.headers["Retry-After"] == str(waiting.json()["retry_after_seconds"])
    clock.advance(seconds=20)
    assert (await candidate.post(url)).json()["position"] == 1
    await gate.leave(busy, clock.now())
    started = await candidate.post(url)
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["exam_code"] == "test-foundation-renewal"
    # Started when admitted: the 20 s in line are not on the clock.
    started_at = datetime.fromisoformat(body["started_at"])
    assert started_at == clock.now()
    length = datetime.fromisoformat(body["deadline_at"]) - started_at
    assert body["remaining_seconds"] == length.total_seconds() == 30 * 60


async def test_failing_the_renewal_changes_nothing(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate, old_id = await _foundation(client, sessionmaker, clock)
    await _at(clock, date(2029, 1, 10), candidate)
    result = await pass_exam(
        candidate,
        sessionmaker,
        clock,
        start_url=f"/api/v1/certificates/{old_id}/renewal",
        right=0,
    )
    assert result["passed"] is False and result["certificate_id"] is None
    assert (await client.get(f"/api/v1/verify/{old_id}")).json()["status"] == "expiring"


async def test_passing_a_higher_level_renews_the_lower_levels_it_requires(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate, foundation_id = await _foundation(client, sessionmaker, clock)
    await _at(clock, date(2027, 1, 4), candidate)
    professional = await pass_exam(candidate, sessionmaker, clock, "test-professional")
    assert professional["passed"] is True
    professional_id = str(professional["certificate_id"])  # expires 2029-01-04
    # Foundation was not in its window: left as it was.
    assert (await client.get(f"/api/v1/verify/{foundation_id}")).json()["status"] == "active"

    await _at(clock, date(2028, 10, 1), candidate)  # both in their windows now
    advanced = await pass_exam(candidate, sessionmaker, clock, "test-advanced")
    assert advanced["passed"] is True

    held = {c["certificate_id"]: c for c in (await candidate.get("/api/v1/certificates")).json()}
    current = {c["exam_code"]: c for c in held.values() if c["status"] == "active"}
    assert set(current) == {"test-foundation", "test-professional", "test-advanced"}
    assert current["test-advanced"]["expires_on"] == "2030-10-01"
    assert current["test-professional"]["expires_on"] == "2031-01-04"  # +24 from old expiry
    assert current["test-professional"]["renewal_of"] == professional_id
    assert current["test-foundation"]["expires_on"] == "2032-03-02"  # +36 from old expiry
    assert current["test-foundation"]["renewal_of"] == foundation_id
    assert held[foundation_id]["status"] == "superseded"
    assert held[professional_id]["superseded_by"] == current["test-professional"]["certificate_id"]
