"""The statistics added to item analysis, on hand-computed fixtures: time to answer,
check pass rates and the check nobody passes, Subkoviak's decision consistency."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.authoring.recording import AttemptFacts, ChoiceSlot, answer_seconds, outcome_rows
from app.authoring.statistics import (
    CheckSums,
    FlagRules,
    ItemSums,
    check_statistics,
    decision_consistency,
    item_statistics,
)

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _slot(ref: str, labels: list[str] | None, seconds: float | None) -> ChoiceSlot:
    """``seconds``: when the item was first answered, after the start."""
    first = AT + timedelta(seconds=seconds) if seconds is not None else None
    return ChoiceSlot(ref, uuid.UUID(int=1), ["w", "x", "y", "z"], labels, first)


def test_time_to_first_answer_counts_from_the_previous_first_answer() -> None:
    slots = [_slot("q2", ["b"], 30), _slot("q1", ["a"], 10), _slot("q3", None, None)]
    assert answer_seconds(AT, slots) == {"q1": 10.0, "q2": 20.0}


def test_an_answer_cleared_later_marks_its_place_but_has_no_time() -> None:
    # q2 was answered at 25 s and cleared since: q3's time counts from there.
    slots = [_slot("q1", ["a"], 10), _slot("q2", [], 25), _slot("q3", ["c"], 40)]
    assert answer_seconds(AT, slots) == {"q1": 10.0, "q3": 15.0}


def test_outcome_rows_carry_time_repeat_and_correctness() -> None:
    facts = AttemptFacts(uuid.UUID(int=9), uuid.UUID(int=8), AT, AT, repeat_taker=True)
    rows = outcome_rows(
        facts, [_slot("q1", ["b"], 12), _slot("q2", None, None)], {uuid.UUID(int=1): ["x"]}
    )
    assert [(r["answer"], r["correct"], r["answer_seconds"], r["repeat_taker"]) for r in rows] == [
        ("x", 1, 12.0, 1),
        ("", 0, None, 1),
    ]


def test_mean_and_median_time_to_answer_from_sums() -> None:
    sums = ItemSums(
        4, 2, 0, 8.0, 5.0, 20.0, 1, 1, 1, 0, timed=3, sum_seconds=45.0, median_seconds=12.0
    )
    stats = item_statistics(sums, [], FlagRules())
    assert (stats.mean_seconds, stats.median_seconds) == (15.0, 12.0)
    untimed = ItemSums(4, 2, 4, 8.0, 5.0, 20.0, 1, 1, 1, 0)
    stats = item_statistics(untimed, [], FlagRules())
    assert (stats.mean_seconds, stats.median_seconds) == (None, None)


def test_check_pass_rate_and_point_biserial_by_hand() -> None:
    # Scores 1.0 and 0.5 passed, 0.5 and 0.0 failed: p = .5, mean .5, var(score) = .125,
    # cov = 1.5/4 - .25 = .125, r = .125 / sqrt(.25 * .125) = 0.70711.
    stats = check_statistics(CheckSums(4, 2, 2.0, 1.5, 1.5), FlagRules())
    assert stats.pass_rate == 0.5
    assert stats.point_biserial == pytest.approx(0.7071068, abs=1e-6)
    assert stats.flags == []


def test_a_check_nobody_passes_is_flagged_from_the_minimum_n() -> None:
    rules = FlagRules(min_n=50)
    nobody = check_statistics(CheckSums(50, 0, 30.0, 0.0, 20.0), rules)
    assert [f.code for f in nobody.flags] == ["nobody_passes"]
    assert "none of 50" in nobody.flags[0].reason
    assert check_statistics(CheckSums(49, 0, 30.0, 0.0, 20.0), rules).flags == []
    assert check_statistics(CheckSums(50, 1, 30.0, 1.0, 20.0), rules).flags == []


def test_decision_consistency_by_hand() -> None:
    # Two items, pass at 1 right. Perfect reliability: true scores are the observed
    # ones (0 and 1), so both candidates are classified the same every time.
    perfect = decision_consistency({0: 1, 2: 1}, 2, 0.5, 1.0)
    assert perfect is not None
    assert (perfect.cut, perfect.agreement, perfect.kappa) == (1, 1.0, 1.0)
    # Zero reliability: both regress to the mean, t = 1/2; P(X >= 1) = 3/4, agreement
    # .75^2 + .25^2 = .625, which is exactly chance: kappa 0.
    none = decision_consistency({0: 1, 2: 1}, 2, 0.5, 0.0)
    assert none is not None
    assert none.agreement == pytest.approx(0.625, abs=1e-12)
    assert none.kappa == pytest.approx(0.0, abs=1e-12)
    assert decision_consistency({}, 2, 0.5, 0.5) is None
    assert decision_consistency({1: 3}, 2, 0.5, None) is None


def test_decision_consistency_middle_reliability_by_hand() -> None:
    # k = 3, pass at 2 (pass mark .6 -> ceil(1.8)), r = .5, totals 0, 3 (one each):
    # mean 1.5; t = (.5*0 + .5*1.5)/3 = .25 and (.5*3 + .75)/3 = .75.
    # P(X>=2 | .25) = 3(.0625)(.75) + .015625 = .15625; P(X>=2 | .75) = .84375.
    # Each: .15625^2 + .84375^2 = .736328125; pass share .5, so chance .5 and kappa
    # (.736328125 - .5) / .5 = .47265625.
    dc = decision_consistency({0: 1, 3: 1}, 3, 0.6, 0.5)
    assert dc is not None
    assert dc.cut == 2
    assert dc.agreement == pytest.approx(0.736328125, abs=1e-12)
    assert dc.kappa == pytest.approx(0.47265625, abs=1e-12)
