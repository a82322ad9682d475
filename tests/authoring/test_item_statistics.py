"""Item analysis against an independent implementation: numpy formulas over the answer
matrix the simulation produced, compared with what the SQL aggregates give."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.authoring import service
from app.authoring.statistics import FlagRules
from app.core.db import session_scope
from tests.authoring.simulation import (
    MISKEYED,
    NOT_ON_FORM,
    OPTIONS,
    RANDOM,
    Simulation,
    seed,
)

CANDIDATES = 400
TOL = 1e-6


def reference(sim: Simulation) -> dict[str, object]:
    """Classical test theory written out plainly in numpy."""
    keys = np.array([sim.keys[i] for i in sim.item_ids])
    chosen = np.array([[c or "" for c in row] for row in sim.answers])
    x = (chosen == keys[None, :]).astype(float)  # attempts x items, 0/1
    total = x.sum(axis=1)
    n, k = x.shape
    p = x.mean(axis=0)
    rpb = np.array([np.corrcoef(x[:, j], total - x[:, j])[0, 1] for j in range(k)])
    # Upper and lower 27 %: by total, highest first, ties by attempt id.
    order = np.lexsort((np.array([a.hex for a in sim.attempt_ids]), -total))
    g = n * 27 // 100
    upper, lower = order[:g], order[n - g :]
    d = x[upper].mean(axis=0) - x[lower].mean(axis=0)
    shares = {
        o: (
            (chosen == o).mean(axis=0),
            (chosen[upper] == o).mean(axis=0),
            (chosen[lower] == o).mean(axis=0),
        )
        for o in OPTIONS
    }
    kr20 = k / (k - 1) * (1 - (p * (1 - p)).sum() / total.var())
    sem = total.std() * np.sqrt(1 - kr20)
    return {
        "p": p,
        "rpb": rpb,
        "d": d,
        "upper": x[upper].mean(axis=0),
        "lower": x[lower].mean(axis=0),
        "omit": (chosen == "").mean(axis=0),
        "shares": shares,
        "kr20": kr20,
        "sem": sem,
        "total": total,
        "mean_seconds": [np.mean(t) for t in _timed(sim)],
        "median_seconds": [np.median(t) for t in _timed(sim)],
    }


def _timed(sim: Simulation) -> list[np.ndarray]:
    """Per item: the simulated times to first answer of the attempts that answered it."""
    return [
        np.array([row[j] for row in sim.seconds if row[j] is not None], dtype=float)
        for j in range(len(sim.item_ids))
    ]


@pytest.fixture
async def simulated(sessionmaker: async_sessionmaker[AsyncSession]) -> Simulation:
    async with session_scope(sessionmaker) as session:
        sim = await seed(session, candidates=CANDIDATES)
    async with session_scope(sessionmaker) as session:
        assert await service.record_outcomes(session, batch=97) == CANDIDATES
    return sim


async def test_item_statistics_match_the_independent_formulas(
    sessionmaker: async_sessionmaker[AsyncSession], simulated: Simulation
) -> None:
    ref = reference(simulated)
    async with session_scope(sessionmaker) as session:
        reports = {r.item_id: r.stats for r in await service.item_report(session)}
    assert set(reports) == set(simulated.item_ids)
    for j, item_id in enumerate(simulated.item_ids):
        s = reports[item_id]
        assert s.n == CANDIDATES
        assert s.facility == pytest.approx(ref["p"][j], abs=TOL)  # type: ignore[index]
        assert s.point_biserial == pytest.approx(ref["rpb"][j], abs=TOL)  # type: ignore[index]
        assert s.discrimination == pytest.approx(ref["d"][j], abs=TOL)  # type: ignore[index]
        assert s.upper_facility == pytest.approx(ref["upper"][j], abs=TOL)  # type: ignore[index]
        assert s.lower_facility == pytest.approx(ref["lower"][j], abs=TOL)  # type: ignore[index]
        assert s.omit_rate == pytest.approx(ref["omit"][j], abs=TOL)  # type: ignore[index]
        assert s.mean_seconds == pytest.approx(ref["mean_seconds"][j], abs=TOL)  # type: ignore[index]
        assert s.median_seconds == pytest.approx(ref["median_seconds"][j], abs=TOL)  # type: ignore[index]
        shares = ref["shares"]
        assert [o.option for o in s.distractors] == OPTIONS
        for o in s.distractors:
            overall, upper, lower = shares[o.option]  # type: ignore[index]
            assert o.is_key == (o.option == simulated.keys[item_id])
            assert o.share == pytest.approx(overall[j], abs=TOL)
            assert o.upper_share == pytest.approx(upper[j], abs=TOL)
            assert o.lower_share == pytest.approx(lower[j], abs=TOL)


async def test_planted_items_are_flagged_and_clean_items_are_not(
    sessionmaker: async_sessionmaker[AsyncSession], simulated: Simulation
) -> None:
    async with session_scope(sessionmaker) as session:
        reports = {r.item_id: r for r in await service.item_report(session)}
    miskeyed = reports[MISKEYED].as_dict()
    assert "likely_miskey" in miskeyed["flags"]  # type: ignore[operator]
    assert "negative_discrimination" in miskeyed["flags"]  # type: ignore[operator]
    assert "distractor" in miskeyed["reasons"]["likely_miskey"]  # type: ignore[index]
    assert "non_discriminating" in reports[RANDOM].as_dict()["flags"]  # type: ignore[operator]
    for item_id, report in reports.items():
        if item_id not in (MISKEYED, RANDOM):
            assert report.stats.flags == [], (item_id, report.stats.flags)


async def test_no_flag_below_the_minimum_responses(
    sessionmaker: async_sessionmaker[AsyncSession], simulated: Simulation
) -> None:
    async with session_scope(sessionmaker) as session:
        reports = await service.item_report(session, rules=FlagRules(min_n=CANDIDATES + 1))
    assert all(r.stats.flags == [] for r in reports)


async def test_exam_reliability_matches_kr20_and_sem(
    sessionmaker: async_sessionmaker[AsyncSession], simulated: Simulation
) -> None:
    ref = reference(simulated)
    async with session_scope(sessionmaker) as session:
        [exam] = await service.exam_report(session, exam_code=simulated.exam_code)
        assert await service.exam_report(session, exam_code="no-such-exam") == []
    assert exam.attempts == CANDIDATES
    assert exam.pass_rate == pytest.approx(np.mean(simulated.passed), abs=TOL)
    assert exam.reliability.items_per_form == len(simulated.item_ids)
    assert exam.reliability.kr20 == pytest.approx(ref["kr20"], abs=TOL)
    assert exam.reliability.sem == pytest.approx(ref["sem"], abs=TOL)
    totals, counts = np.unique(ref["total"], return_counts=True)  # type: ignore[call-overload]
    assert exam.distribution == {int(t): int(c) for t, c in zip(totals, counts, strict=True)}
    # Subkoviak per candidate, written out in numpy: Kelley's regressed true proportion,
    # the binomial chance of passing a parallel form, agreement and kappa.
    total = np.asarray(ref["total"])
    k = len(simulated.item_ids)
    r = float(ref["kr20"])  # type: ignore[arg-type]
    cut = int(np.ceil(0.6 * k - 1e-9))
    t = (r * total + (1 - r) * total.mean()) / k
    j = np.arange(cut, k + 1)
    comb = np.array([math.comb(k, int(i)) for i in j], dtype=float)
    p_pass = (comb[None, :] * t[:, None] ** j * (1 - t[:, None]) ** (k - j)).sum(axis=1)
    agreement = (p_pass**2 + (1 - p_pass) ** 2).mean()
    chance = p_pass.mean() ** 2 + (1 - p_pass.mean()) ** 2
    assert exam.consistency is not None
    assert exam.consistency.cut == cut
    assert exam.consistency.agreement == pytest.approx(agreement, abs=TOL)
    assert exam.consistency.kappa == pytest.approx((agreement - chance) / (1 - chance), abs=TOL)


async def test_recording_is_idempotent_and_filters_by_exam(
    sessionmaker: async_sessionmaker[AsyncSession], simulated: Simulation
) -> None:
    async with session_scope(sessionmaker) as session:
        assert await service.record_outcomes(session) == 0
        assert len(await service.item_report(session, exam_code=simulated.exam_code)) == len(
            simulated.item_ids
        )
        assert await service.item_report(session, exam_code="another-exam") == []


async def test_forms_drawn_from_a_pool(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Each attempt sees 8 of the 14 items: every statistic over the attempts that had
    the item, groups ranked over the whole exam version, KR-20 with the mean form length
    and each item's p*q weighted by the forms it was on."""
    async with session_scope(sessionmaker) as session:
        sim = await seed(session, candidates=300, form=8, seed=11)
    async with session_scope(sessionmaker) as session:
        await service.record_outcomes(session)
        by_id = {r.item_id: r for r in await service.item_report(session)}
        reports = {i: r.stats for i, r in by_id.items()}
        [exam] = await service.exam_report(session)
    chosen = np.array(sim.answers, dtype=object)
    on = chosen != NOT_ON_FORM
    keys = np.array([sim.keys[i] for i in sim.item_ids], dtype=object)
    x = ((chosen == keys[None, :]) & on).astype(float)
    total = x.sum(axis=1)
    n = len(total)
    order = np.lexsort((np.array([a.hex for a in sim.attempt_ids]), -total))
    g = n * 27 // 100
    upper = np.zeros(n, bool)
    upper[order[:g]] = True
    lower = np.zeros(n, bool)
    lower[order[n - g :]] = True
    pq = 0.0
    timed = _timed(sim)
    for j, item_id in enumerate(sim.item_ids):
        m = on[:, j]
        s = reports[item_id]
        p = x[m, j].mean()
        pq += m.sum() * p * (1 - p)
        assert s.n == m.sum()
        assert s.facility == pytest.approx(p, abs=TOL)
        rest = total[m] - x[m, j]
        assert s.point_biserial == pytest.approx(np.corrcoef(x[m, j], rest)[0, 1], abs=TOL)
        d = x[m & upper, j].mean() - x[m & lower, j].mean()
        assert s.discrimination == pytest.approx(d, abs=TOL)
        assert by_id[item_id].exposure == pytest.approx(m.mean(), abs=TOL)
        times = timed[j]
        assert s.median_seconds == pytest.approx(np.median(times), abs=TOL)
        assert s.mean_seconds == pytest.approx(np.mean(times), abs=TOL)
        for o in s.distractors:
            assert o.upper_share == pytest.approx(
                (chosen[m & upper, j] == o.option).mean(), abs=TOL
            )
    k = on.sum() / n
    kr20 = k / (k - 1) * (1 - (pq / n) / total.var())
    assert exam.reliability.items_per_form == pytest.approx(8)
    assert exam.reliability.kr20 == pytest.approx(kr20, abs=TOL)
    assert exam.reliability.sem == pytest.approx(total.std() * np.sqrt(1 - kr20), abs=TOL)


async def test_two_recorders_at_once_record_each_attempt_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    import asyncio

    async with session_scope(sessionmaker) as session:
        sim = await seed(session, candidates=60, clean_items=3, seed=5)

    async def record() -> int:
        async with session_scope(sessionmaker) as session:
            return await service.record_outcomes(session, batch=7)

    counts = await asyncio.gather(record(), record())
    assert sorted(counts) == [0, 60]
    async with session_scope(sessionmaker) as session:
        [report] = [r for r in await service.item_report(session) if r.item_id == MISKEYED]
    assert report.stats.n == 60
    assert len(sim.attempt_ids) == 60
