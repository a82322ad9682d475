"""Corrections to a delivered scenario's hidden checks (a regrade), applied to the
verdicts a final grading stored. Pure: a grading record and the corrections in, the
scenario's score out.

A correction covers one check of one scenario, for every version up to
``up_to_version`` (the versions delivered when it was proposed; a later version carries
the author's fix in its judge):

- ``drop``: the check counts for nobody, its points leave both what the candidate
  earned and what was possible;
- ``award``: every graded submission earns the check's points (the check was found
  broken). A run whose result channel was tampered with still counts for nothing.

A correction works on the stored per-check verdicts alone; it never runs candidate code
again. Re-judging with a corrected judge would need the candidate's observed outputs,
which the record does not keep, so it would mean running month-old submissions again in
another sandbox, where timing limits and the new version's inputs can change verdicts
for reasons unrelated to the fix: the author publishes a new scenario version instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.grading.grader import TAMPERED_MESSAGE

CHECK_CHANGES = ("drop", "award")


@dataclass(frozen=True)
class CheckCorrection:
    scenario_id: str
    check: str
    up_to_version: int
    change: str  # drop | award


class CheckCorrections:
    """The corrections in force, one per check (a later one replaces an earlier one)."""

    def __init__(self, corrections: Iterable[CheckCorrection] = ()) -> None:
        self._by_check = {(c.scenario_id, c.check): c for c in corrections}

    def with_correction(self, extra: CheckCorrection | None) -> CheckCorrections:
        """These corrections with ``extra`` in force too (a preview's proposal)."""
        return CheckCorrections([*self._by_check.values(), *([extra] if extra else [])])

    def change_for(self, scenario_id: str, version: int, check: str) -> str | None:
        found = self._by_check.get((scenario_id, check))
        if found is None or version > found.up_to_version:
            return None
        return found.change

    def dropped(self, scenario_id: str, version: int) -> set[str]:
        return {
            c.check
            for c in self._by_check.values()
            if c.scenario_id == scenario_id and c.change == "drop" and version <= c.up_to_version
        }

    def touch(self, scenario_id: str, version: int) -> bool:
        return any(
            c.scenario_id == scenario_id and version <= c.up_to_version
            for c in self._by_check.values()
        )


def stored_score(score: float | None) -> Fraction:
    """A run's stored score as scoring reads it (the grader rounds it to 6 places)."""
    return Fraction(score or 0).limit_denominator(10_000)


def _tampered(checks: list[Mapping[str, Any]]) -> bool:
    return any(c.get("message") == TAMPERED_MESSAGE for c in checks)


@dataclass(frozen=True)
class CheckVerdict:
    """One check of a grading record as graded, and under the correction in force."""

    name: str
    public: bool
    message: str
    points: int
    passed: bool
    earned: float
    # The correction in force for this check (drop | award), None when there is none.
    change: str | None
    # Under the correction; None for a dropped check (it counts for nobody).
    passed_after: bool | None
    earned_after: float | None


def check_verdicts(
    record: Mapping[str, Any] | None,
    scenario_id: str,
    version: int,
    corrections: CheckCorrections,
) -> list[CheckVerdict]:
    """Every check of a grading record with the correction in force applied: a dropped
    check counts for nobody, an awarded one earns its points unless the run's result
    channel was tampered with (then it keeps its verdict)."""
    checks = list((record or {}).get("checks", []))
    tampered = _tampered(checks)
    out = []
    for check in checks:
        passed = bool(check["passed"])
        points = int(check.get("points", 1))
        earned = float(check.get("earned", points if passed else 0))
        change = corrections.change_for(scenario_id, version, str(check["name"]))
        passed_after: bool | None = passed
        earned_after: float | None = earned
        if change == "drop":
            passed_after = earned_after = None
        elif change == "award" and not tampered:
            passed_after, earned_after = True, float(points)
        out.append(
            CheckVerdict(
                name=str(check["name"]),
                public=bool(check.get("public", False)),
                message=str(check.get("message", "")),
                points=points,
                passed=passed,
                earned=earned,
                change=change,
                passed_after=passed_after,
                earned_after=earned_after,
            )
        )
    return out


def corrected_verdicts(
    record: Mapping[str, Any] | None,
    scenario_id: str,
    version: int,
    corrections: CheckCorrections,
) -> list[tuple[str, int, float, bool]] | None:
    """Each counted check's (name, points, earned, passed) under the corrections; None
    when no correction touches this run (its stored score stands as it is)."""
    if not (record or {}).get("checks") or not corrections.touch(scenario_id, version):
        return None
    return [
        (v.name, v.points, v.earned_after, v.passed_after)
        for v in check_verdicts(record, scenario_id, version, corrections)
        if v.earned_after is not None and v.passed_after is not None
    ]


def corrected_score(
    record: Mapping[str, Any] | None,
    score: float | None,
    scenario_id: str,
    version: int,
    corrections: CheckCorrections,
) -> Fraction:
    """The final score of one graded scenario under the corrections: the stored score
    when none touches it, otherwise earned over possible of the checks that count,
    rounded as the grader rounds (so the same verdicts always give the same score)."""
    verdicts = corrected_verdicts(record, scenario_id, version, corrections)
    if verdicts is None:
        return stored_score(score)
    possible = sum(points for _, points, _, _ in verdicts)
    if possible == 0:
        return Fraction(0)
    earned = round(sum(e for _, _, e, _ in verdicts), 4)
    return stored_score(round(earned / possible, 6))
