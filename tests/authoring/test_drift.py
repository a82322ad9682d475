"""Leak and drift detection: the z-test by hand, each rule firing and not firing, the
minimum n, and the SQL windows over recorded outcomes (a planted leaked item is
flagged; a clean one, and repeat takers who simply do better, are not)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.authoring import service
from app.authoring.drift import (
    FIRST_TIME,
    REPEAT,
    DriftRules,
    Series,
    Window,
    detect,
    leak_threshold,
    two_proportion_z,
)
from app.authoring.models import ItemOutcome
from app.core.db import session_scope
from app.exams.models import ItemVersion
from tests.authoring.simulation import AT, seed

RULES = DriftRules(baseline_n=100, window_n=50, min_n=30)


def _w(index: int, n: int, right: int, median: float | None = 40.0) -> Window:
    return Window(index, n, right, median, AT, AT + timedelta(days=1))


def test_two_proportion_z_by_hand() -> None:
    # 40/100 then 45/50: pooled 85/150, var = .56667 * .43333 * (1/100 + 1/50)
    # = .0073667, z = .5 / .085829 = 5.8255.
    assert two_proportion_z(40, 100, 45, 50) == pytest.approx(5.8255, abs=1e-4)
    assert two_proportion_z(0, 100, 0, 50) is None  # no variance
    assert two_proportion_z(1, 0, 1, 50) is None


def test_a_rise_flags_a_possible_leak_with_its_reason() -> None:
    drift = detect([Series(FIRST_TIME, _w(-1, 100, 40), [_w(0, 50, 22), _w(1, 50, 45)])], RULES)
    assert [f.code for f in drift.flags] == ["possible_leak"]
    assert "first-time takers" in drift.flags[0].reason
    assert "0.40" in drift.flags[0].reason and "0.90" in drift.flags[0].reason
    assert [t.leak for t in drift.tests] == [False, True]


def test_no_flag_without_a_significant_rise() -> None:
    # 40/100 then 30/50: pooled 70/150, var = .46667 * .53333 * .03 = .0074667,
    # z = .2 / .086410 = 2.3146, under 3.0.
    drift = detect([Series(FIRST_TIME, _w(-1, 100, 40), [_w(0, 50, 30)])], RULES)
    assert drift.flags == []
    assert drift.tests[0].z == pytest.approx(2.3146, abs=1e-3)


def test_the_threshold_is_corrected_for_the_windows_tested() -> None:
    # 40/100 then 34/50: pooled 74/150, z = .28 / .086595 = 3.233.
    alone = detect([Series(FIRST_TIME, _w(-1, 100, 40), [_w(0, 50, 34)])], RULES)
    assert alone.tests[0].z == pytest.approx(3.233, abs=1e-3)
    assert leak_threshold(RULES, 1) == pytest.approx(3.0902, abs=1e-4)  # p < .001
    assert [f.code for f in alone.flags] == ["possible_leak"]
    assert "Bonferroni over the 1 windows tested" in alone.flags[0].reason
    # Among 20 windows tested, the same rise is one a clean item shows by chance.
    many = [_w(i, 50, 20) for i in range(19)] + [_w(19, 50, 34)]
    crowded = detect([Series(FIRST_TIME, _w(-1, 100, 40), many)], RULES)
    assert leak_threshold(RULES, 20) == pytest.approx(3.8906, abs=1e-4)  # p < .001 / 20
    assert crowded.flags == []
    # Never below z = 3.0, however few windows.
    assert leak_threshold(DriftRules(leak_alpha=0.5), 1) == 3.0


def test_minimum_n_for_the_window_and_the_baseline() -> None:
    small_window = detect([Series(FIRST_TIME, _w(-1, 100, 40), [_w(0, 29, 29)])], RULES)
    assert small_window.flags == [] and small_window.tests[0].z is None
    short_baseline = detect([Series(FIRST_TIME, _w(-1, 99, 40), [_w(0, 50, 50)])], RULES)
    assert short_baseline.flags == [] and short_baseline.tests[0].z is None
    assert detect([Series(FIRST_TIME, None, [])], RULES).flags == []


def test_time_collapse_needs_both_faster_and_more_right() -> None:
    base = _w(-1, 100, 40, median=40.0)
    collapse = detect([Series(REPEAT, base, [_w(0, 50, 30, median=15.0)])], RULES)
    # z = 2.31: no leak, but a rise with the time under half the baseline's.
    assert [f.code for f in collapse.flags] == ["time_collapse"]
    assert "40 s to 15 s" in collapse.flags[0].reason
    assert "repeat takers" in collapse.flags[0].reason
    faster_only = detect([Series(REPEAT, base, [_w(0, 50, 20, median=15.0)])], RULES)
    assert faster_only.flags == []
    not_fast_enough = detect([Series(REPEAT, base, [_w(0, 50, 30, median=21.0)])], RULES)
    assert not_fast_enough.flags == []


async def _plant(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> dict[str, uuid.UUID]:
    """400 simulated attempts scored an hour apart. SIM-003 (the hardest) leaks after
    the 250th (nine in ten right, answered in 5 s instead of 40 s); SIM-001 is clean; on SIM-002
    the last 200 responses are repeat takers, all right (no rise among first-timers)."""
    async with session_scope(sessionmaker) as session:
        sim = await seed(session, candidates=400, clean_items=4, seed=11)
    async with session_scope(sessionmaker) as session:
        await service.record_outcomes(session)
        ids = {v.item_id: v.id for v in (await session.execute(select(ItemVersion))).scalars()}
        for i, attempt_id in enumerate(sim.attempt_ids):
            at = AT + timedelta(hours=i)
            mine = ItemOutcome.attempt_id == attempt_id
            await session.execute(
                update(ItemOutcome).where(mine).values(scored_at=at, answer_seconds=40.0)
            )
            if i >= 250:
                await session.execute(
                    update(ItemOutcome)
                    .where(mine, ItemOutcome.item_version_id == ids["SIM-003"])
                    .values(correct=int(i % 10 != 0), answer_seconds=5.0)
                )
            if i >= 200:
                await session.execute(
                    update(ItemOutcome)
                    .where(mine, ItemOutcome.item_version_id == ids["SIM-002"])
                    .values(correct=1, repeat_taker=1)
                )
    return ids


async def test_sql_windows_flag_the_planted_leak_only(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ids = await _plant(sessionmaker)
    async with session_scope(sessionmaker) as session:
        found = await service.drift(
            session,
            [ids["SIM-003"], ids["SIM-001"], ids["SIM-002"]],
            RULES,
        )
    leaked = found[ids["SIM-003"]]
    assert {f.code for f in leaked.flags} == {"possible_leak", "time_collapse"}
    first = leaked.series[0]
    assert first.group == FIRST_TIME
    assert first.baseline is not None and first.baseline.n == 100
    assert [w.n for w in first.windows] == [50] * 6
    assert first.baseline.median_seconds == 40.0
    assert first.windows[-1].median_seconds == 5.0
    assert first.windows[-1].first_at == AT + timedelta(hours=350)
    assert found[ids["SIM-001"]].flags == []
    repeat = found[ids["SIM-002"]]
    assert repeat.flags == []
    assert [s.baseline.n if s.baseline else 0 for s in repeat.series] == [100, 100]
