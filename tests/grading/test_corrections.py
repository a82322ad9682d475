"""Check corrections on stored verdicts (pure)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from app.grading.corrections import (
    CheckCorrection,
    CheckCorrections,
    check_verdicts,
    corrected_score,
)
from app.grading.grader import TAMPERED_MESSAGE


def record(*checks: tuple[str, int, bool], message: str = "") -> dict[str, Any]:
    return {
        "checks": [
            {
                "name": n,
                "points": p,
                "earned": float(p if ok else 0),
                "passed": ok,
                "message": message,
            }
            for n, p, ok in checks
        ]
    }


GRADED = record(("a", 4, True), ("b", 3, False), ("c", 2, True))
STORED = round(6 / 9, 6)


def test_without_a_correction_the_stored_score_stands() -> None:
    other = CheckCorrections([CheckCorrection("other", "b", 9, "drop")])
    assert corrected_score(GRADED, STORED, "s", 1, other) == Fraction(2, 3)
    assert corrected_score(GRADED, STORED, "s", 1, CheckCorrections()) == Fraction(2, 3)


def test_drop_and_award_change_earned_and_possible() -> None:
    drop = CheckCorrections([CheckCorrection("s", "b", 1, "drop")])
    award = CheckCorrections([CheckCorrection("s", "b", 1, "award")])
    assert corrected_score(GRADED, STORED, "s", 1, drop) == 1
    assert corrected_score(GRADED, STORED, "s", 1, award) == 1
    dropped_passed = CheckCorrections([CheckCorrection("s", "a", 1, "drop")])
    assert corrected_score(GRADED, STORED, "s", 1, dropped_passed) == Fraction(2, 5)


def test_a_later_version_carries_its_own_fix() -> None:
    drop = CheckCorrections([CheckCorrection("s", "b", 1, "drop")])
    assert corrected_score(GRADED, STORED, "s", 2, drop) == Fraction(2, 3)


def test_a_tampered_run_is_not_awarded_and_a_rejected_one_is_untouched() -> None:
    award = CheckCorrections([CheckCorrection("s", "b", 1, "award")])
    tampered = record(("a", 4, False), ("b", 3, False), message=TAMPERED_MESSAGE)
    assert corrected_score(tampered, 0.0, "s", 1, award) == 0
    assert corrected_score({"rejected": "no"}, 0.0, "s", 1, award) == 0


def test_each_check_is_shown_as_graded_and_under_its_correction() -> None:
    corrections = CheckCorrections(
        [CheckCorrection("s", "a", 1, "drop"), CheckCorrection("s", "b", 1, "award")]
    )
    shown = {
        v.name: (v.passed, v.change, v.passed_after, v.earned_after)
        for v in check_verdicts(GRADED, "s", 1, corrections)
    }
    assert shown == {
        "a": (True, "drop", None, None),
        "b": (False, "award", True, 3.0),
        "c": (True, None, True, 2.0),
    }
    # A later version carries its own fix: nothing in force for it.
    assert {v.change for v in check_verdicts(GRADED, "s", 2, corrections)} == {None}
    tampered = record(("a", 4, False), ("b", 3, False), message=TAMPERED_MESSAGE)
    [_, b] = check_verdicts(tampered, "s", 1, corrections)
    assert (b.change, b.passed_after, b.earned_after) == ("award", False, 0.0)
