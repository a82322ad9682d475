"""A bank with renewal exams and a three-level track, and helpers that earn
certificates through the public API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from app.core.db import session_scope
from app.identity import service as identity_service
from app.identity.models import Role
from tests.attempts.helpers import keyed_labels, wrong_labels
from tests.bank import blueprint, item, write_bank
from tests.conftest import PASSWORD, Candidate


def _items() -> list[dict[str, object]]:
    out = []
    for level in ("foundation", "professional", "advanced"):
        for domain, count in (("lifecycle", 6), ("data", 4)):
            for n in range(1, count + 1):
                out.append(item(domain, level, n, key=("abcd"[n % 4],)))
    return out


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    """Foundation (36 months) -> Professional (24) -> Advanced (24), each with a
    renewal exam."""
    exams = [
        blueprint("test-foundation"),
        blueprint(
            "test-professional",
            level="professional",
            pass_mark=0.72,
            validity_months=24,
            prerequisites=["test-foundation"],
        ),
        blueprint(
            "test-advanced",
            level="advanced",
            pass_mark=0.75,
            validity_months=24,
            prerequisites=["test-professional"],
        ),
    ]
    renewals = [
        blueprint(
            f"{exam['code']}-renewal",
            level=exam["level"],
            kind="renewal",
            renews=exam["code"],
            title=f"{exam['title']} (renewal)",
            validity_months=exam["validity_months"],
            pass_mark=exam["pass_mark"],
        )
        for exam in exams
    ]
    return write_bank(tmp_path / "bank", exams + renewals, _items())


async def pass_exam(
    candidate: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    exam: str = "test-foundation",
    *,
    start_url: str | None = None,
    right: int | None = None,
) -> dict[str, object]:
    """Starts the exam (or the given start URL), answers, submits; returns the result."""
    started = await candidate.post(start_url or f"/api/v1/exams/{exam}/attempts")
    assert started.status_code == 201, started.text
    attempt = started.json()
    keys = await keyed_labels(sessionmaker, attempt["id"])
    for index, slot in enumerate(attempt["items"]):
        correct = right is None or index < right
        choice = keys[slot["ref"]] if correct else wrong_labels(keys[slot["ref"]])
        saved = await candidate.put(
            f"/api/v1/attempts/{attempt['id']}/responses/{slot['ref']}",
            json={"choices": choice, "seq": 1},
        )
        assert saved.status_code == 200, saved.text
    clock.advance(minutes=5)
    assert (await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")).status_code == 202
    result = await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")
    return dict(result.json())


async def staff(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    role: Role = Role.proctor,
) -> Candidate:
    email = f"{role.value}@example.org"
    async with session_scope(sessionmaker) as session:
        user = await identity_service.create_user(
            session, clock, email=email, password=PASSWORD, full_name="Pat Proctor", role=role
        )
    member = Candidate(client, email, "", str(user.id))
    await member.sign_in()
    return member
