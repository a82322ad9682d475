"""Recording outcomes: first-time or repeat takers, the hidden checks of graded
scenarios (and the check nobody passes, found by the SQL aggregates), recording again
replaces an attempt's rows instead of adding to them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.models import Attempt, AttemptStatus
from app.attempts.repository import AttemptRepository
from app.authoring import service
from app.authoring.models import CheckOutcome, ItemOutcome
from app.authoring.statistics import FlagRules
from app.core.db import session_scope
from app.exams.models import ItemVersion
from app.grading.models import ScenarioRun
from tests.authoring.simulation import AT, seed


async def test_a_candidate_who_started_the_exam_before_is_a_repeat_taker(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessionmaker) as session:
        sim = await seed(session, candidates=3, clean_items=2, seed=2)
        first = await session.get(Attempt, sim.attempt_ids[0])
        assert first is not None
        # The same candidate sat the exam a week earlier (and failed it).
        session.add(
            Attempt(
                user_id=first.user_id,
                exam_version_id=first.exam_version_id,
                exam_code=first.exam_code,
                status=AttemptStatus.scored,
                seed=99,
                started_at=AT - timedelta(days=7),
                deadline_at=AT - timedelta(days=7, hours=-1),
                scored_at=AT - timedelta(days=7),
                score=0.1,
                passed=False,
            )
        )
    async with session_scope(sessionmaker) as session:
        await service.record_outcomes(session)
        rows = (await session.execute(select(ItemOutcome))).scalars().all()
    repeat = {r.attempt_id for r in rows if r.repeat_taker}
    assert repeat == {sim.attempt_ids[0]}
    assert all(r.scored_at == AT for r in rows)


async def test_hidden_checks_are_recorded_and_a_check_nobody_passes_is_flagged(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessionmaker) as session:
        sim = await seed(session, candidates=60, clean_items=2, seed=4)
        for i, attempt_id in enumerate(sim.attempt_ids):
            session.add(
                ScenarioRun(
                    attempt_id=attempt_id,
                    ref="s1",
                    kind="final",
                    status="done",
                    scenario_id="drift-pipeline",
                    scenario_version=2,
                    seed=1,
                    files={},
                    record={
                        "checks": [
                            {"name": "schema", "passed": True},
                            {"name": "split", "passed": i % 2 == 0},
                            {"name": "impossible", "passed": False},
                        ]
                    },
                    created_at=AT,
                )
            )
        # A public run and an unfinished one count for nothing.
        session.add(
            ScenarioRun(
                attempt_id=sim.attempt_ids[0], ref="s1", kind="public", status="done",
                scenario_id="drift-pipeline", scenario_version=2, seed=1, files={},
                record={"checks": [{"name": "public-only", "passed": True}]}, created_at=AT,
            )
        )  # fmt: skip
    async with session_scope(sessionmaker) as session:
        await service.record_outcomes(session)
        assert await session.scalar(select(func.count()).select_from(CheckOutcome)) == 180
        checks = {
            c.check: c.stats for c in await service.check_report(session, rules=FlagRules(min_n=50))
        }
        assert await service.check_report(session, exam_code="another") == []
    assert set(checks) == {"schema", "split", "impossible"}
    assert checks["schema"].pass_rate == 1.0 and checks["schema"].flags == []
    assert checks["split"].pass_rate == 0.5 and checks["split"].flags == []
    assert [f.code for f in checks["impossible"].flags] == ["nobody_passes"]
    assert checks["impossible"].n == 60


async def test_recording_an_attempt_again_replaces_its_rows_and_checks(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessionmaker) as session:
        sim = await seed(session, candidates=2, clean_items=3, seed=6)
    async with session_scope(sessionmaker) as session:
        await service.record_outcomes(session)
        before = await session.scalar(select(func.count()).select_from(ItemOutcome))
        attempt = await session.get(Attempt, sim.attempt_ids[0])
        assert attempt is not None
        repo = AttemptRepository(session)
        items = await repo.items(attempt.id)
        responses = await repo.responses(attempt.id)
        # A regrade that re-keys every item to option "w".
        keys: dict[uuid.UUID, list[object]] = {
            v.id: ["w"] for v in (await session.execute(select(ItemVersion))).scalars()
        }
        session.add(
            ScenarioRun(
                attempt_id=attempt.id, ref="s9", kind="final", status="done",
                scenario_id="drift-pipeline", scenario_version=1, seed=1, files={},
                record={"checks": [{"name": "schema", "passed": True}]}, created_at=AT,
            )
        )  # fmt: skip
        await session.flush()
        await service.record_at_scoring(session, attempt, items, responses, keys)
        await service.record_at_scoring(session, attempt, items, responses, keys)
        after = await session.scalar(select(func.count()).select_from(ItemOutcome))
        checks = (await session.execute(select(CheckOutcome))).scalars().all()
        rows = (
            (await session.execute(select(ItemOutcome).where(ItemOutcome.attempt_id == attempt.id)))
            .scalars()
            .all()
        )
    assert after == before
    assert all(r.correct == int(r.answer == "w") for r in rows)
    # The graded scenario's checks, through the grading service, once.
    assert [(c.attempt_id, c.check_name, c.passed) for c in checks] == [
        (sim.attempt_ids[0], "schema", 1)
    ]
