"""A start draws a form balanced in difficulty (the authors' estimates here: no item
has responses yet), and the same bank without balancing does not."""

from __future__ import annotations

import random
import statistics
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.attempts.balance import FormBalancer
from app.attempts.models import AttemptItem
from app.authoring import service as authoring_service
from app.config import Settings
from app.core.clock import ManualClock
from app.core.db import session_scope
from app.core.seeds import SeededSeeds
from app.exams import service as exams_service
from app.exams.content import load_bank
from app.exams.forms import BALANCE_TOLERANCE
from app.exams.models import ItemVersion
from app.main import create_app
from tests.bank import blueprint, item, write_bank
from tests.conftest import sign_up
from tests.proctoring.conftest import answer_all, start

RNG = random.Random(77)
DIFFICULTY = {
    (domain, n): round(RNG.uniform(0.35, 0.95), 2)
    for domain, size in (("lifecycle", 12), ("data", 8))
    for n in range(1, size + 1)
}


@pytest.fixture
async def uneven_bank(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    items = [
        item(domain, "foundation", n, key=("abcd"[n % 4],), difficulty=value)
        for (domain, n), value in DIFFICULTY.items()
    ]
    root = write_bank(tmp_path / "uneven", [blueprint("test-foundation")], items)
    async with session_scope(sessionmaker) as session:
        await exams_service.publish_bank(session, clock, load_bank(root))


def target() -> float:
    lifecycle = statistics.fmean(v for (d, _), v in DIFFICULTY.items() if d == "lifecycle")
    data = statistics.fmean(v for (d, _), v in DIFFICULTY.items() if d == "data")
    return (3 * lifecycle + 2 * data) / 5


async def form_scores(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession], starts: int
) -> list[float]:
    transport = httpx.ASGITransport(app=app)
    scores = []
    async with httpx.AsyncClient(transport=transport, base_url="http://assay.test") as client:
        for _ in range(starts):
            candidate = await sign_up(client)
            r = await candidate.post("/api/v1/exams/test-foundation/attempts")
            assert r.status_code == 201, r.text
            async with sessionmaker() as session:
                values = (
                    await session.execute(
                        select(ItemVersion.difficulty)
                        .join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id)
                        .where(AttemptItem.attempt_id == uuid.UUID(r.json()["id"]))
                    )
                ).scalars()
                scores.append(statistics.fmean(values))
    return scores


async def test_started_forms_are_balanced(
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    uneven_bank: None,
) -> None:
    seeds = SeededSeeds(5)
    balanced = create_app(settings, clock, engine=engine, run_sweeper=False, seeds=seeds)
    scores = await form_scores(balanced, sessionmaker, 8)
    assert all(abs(s - target()) <= BALANCE_TOLERANCE + 1e-9 for s in scores), scores

    plain_settings = settings.model_copy(update={"form_balance": False})
    plain = create_app(
        plain_settings, clock, engine=engine, run_sweeper=False, seeds=SeededSeeds(5)
    )
    plain_scores = await form_scores(plain, sessionmaker, 8)
    assert any(abs(s - target()) > BALANCE_TOLERANCE for s in plain_scores), plain_scores


async def test_facility_replaces_the_estimate_once_an_item_has_enough_responses(
    app: FastAPI,
    client: httpx.AsyncClient,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    uneven_bank: None,
) -> None:
    for right in (True, False):  # an item on both forms: once right, once wrong
        candidate = await sign_up(client)
        attempt = await start(candidate)
        await answer_all(candidate, sessionmaker, attempt, right=right)
        r = await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
        assert r.status_code == 202
    async with session_scope(sessionmaker) as session:
        await authoring_service.record_outcomes(session)
    async with sessionmaker() as session:
        items = {row.item_id: row for row in (await session.execute(select(ItemVersion))).scalars()}
        shown = Counter(
            (
                await session.execute(
                    select(ItemVersion.item_id).join(
                        AttemptItem, AttemptItem.item_version_id == ItemVersion.id
                    )
                )
            ).scalars()
        )
    enough = FormBalancer(timedelta(0), 2, BALANCE_TOLERANCE)
    assert enough.balance(items, {}).expected == {i: r.difficulty for i, r in items.items()}
    assert await enough.refresh(sessionmaker, clock.now())
    balance = enough.balance(items, {})
    too_few = FormBalancer(timedelta(0), 3, BALANCE_TOLERANCE)
    await too_few.refresh(sessionmaker, clock.now())
    estimates = too_few.balance(items, {})
    for item_id, row in items.items():
        assert estimates.expected[item_id] == row.difficulty
        assert balance.expected[item_id] == (0.5 if shown[item_id] == 2 else row.difficulty)
    assert 2 in shown.values()
