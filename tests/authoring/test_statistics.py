"""The pure formulas at their edges: no variance, no attempts, the minimum n, mis-keys
of a multiple-response item."""

from __future__ import annotations

import pytest

from app.authoring.statistics import (
    ExamSums,
    FlagRules,
    ItemSums,
    OptionCounts,
    corrected_point_biserial,
    group_size,
    item_statistics,
    reliability,
)


def sums(n: int, right: int, **kw: float) -> ItemSums:
    values: dict[str, float] = {
        "omitted": 0,
        "sum_total": 0.0,
        "sum_total_right": 0.0,
        "sum_total_sq": 0.0,
        "upper_n": 0,
        "upper_right": 0,
        "lower_n": 0,
        "lower_right": 0,
    } | kw
    return ItemSums(n, right, **values)  # type: ignore[arg-type]


def test_an_item_everyone_got_right_has_no_correlation_but_is_too_easy() -> None:
    s = sums(60, 60, sum_total=600.0, sum_total_right=600.0, sum_total_sq=6100.0)
    assert corrected_point_biserial(s) is None
    stats = item_statistics(s, [], FlagRules(min_n=50))
    assert stats.facility == 1.0
    assert [f.code for f in stats.flags] == ["too_easy"]


def test_two_responses_against_a_hand_computed_correlation() -> None:
    # Totals 3 (right) and 1 (wrong): rest-scores 2 and 1, item 1 and 0: r = 1.
    s = sums(2, 1, sum_total=4.0, sum_total_right=3.0, sum_total_sq=10.0)
    assert corrected_point_biserial(s) == pytest.approx(1.0)


def test_nothing_is_flagged_below_the_minimum_n() -> None:
    s = sums(49, 1, sum_total=100.0, sum_total_right=2.0, sum_total_sq=400.0)
    assert item_statistics(s, [], FlagRules(min_n=50)).flags == []
    assert next(f.code for f in item_statistics(s, [], FlagRules(min_n=49)).flags) == "too_hard"


def test_miskey_compares_the_strongest_distractor_with_the_weakest_key() -> None:
    s = sums(100, 40, upper_n=27, upper_right=10, lower_n=27, lower_right=10)
    options = [
        OptionCounts("a", True, 60, 20, 5),
        OptionCounts("b", True, 50, 12, 10),
        OptionCounts("c", False, 30, 13, 8),
    ]
    stats = item_statistics(s, options, FlagRules(min_n=10))
    assert "likely_miskey" in [f.code for f in stats.flags]
    assert "c (48%)" in next(f.reason for f in stats.flags if f.code == "likely_miskey")
    fine = [OptionCounts("a", True, 60, 20, 5), OptionCounts("c", False, 30, 7, 8)]
    assert "likely_miskey" not in [f.code for f in item_statistics(s, fine, FlagRules(10)).flags]


def test_reliability_without_attempts_or_variance() -> None:
    assert reliability(ExamSums(0, 0.0, 0.0, 0, 0.0)).kr20 is None
    flat = reliability(ExamSums(10, 50.0, 250.0, 100, 0.0))
    assert flat.sd == 0.0
    assert flat.kr20 is None


def test_group_size_is_27_percent_rounded_down() -> None:
    assert [group_size(n) for n in (3, 4, 100, 101, 20000)] == [0, 1, 27, 27, 5400]
