"""Scoring. Pure functions over values; exact fractions so that a score on the pass
mark passes (0.7 as a float is a hair under 7/10)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction


def score_choice_item(key: Iterable[str], choices: Iterable[str] | None) -> Fraction:
    """Single and multiple response alike: full credit only for exactly the keyed set.

    Multiple-response items are scored dichotomously: partial credit there rewards
    ticking every box, and the blueprint weights already assume one point an item.
    """
    if not choices:
        return Fraction(0)
    return Fraction(1) if set(choices) == set(key) else Fraction(0)


@dataclass(frozen=True)
class SectionResult:
    kind: str
    weight: float
    earned: Fraction
    possible: int

    @property
    def score(self) -> Fraction:
        return self.earned / self.possible if self.possible else Fraction(0)


@dataclass(frozen=True)
class ExamResult:
    score: Fraction
    passed: bool
    sections: list[SectionResult]


def score_exam(sections: Sequence[SectionResult], pass_mark: float) -> ExamResult:
    total_weight = sum(Fraction(str(s.weight)) for s in sections)
    if total_weight == 0:
        raise ValueError("an exam needs at least one weighted section")
    score = sum(Fraction(str(s.weight)) * s.score for s in sections) / total_weight
    return ExamResult(
        score=score, passed=score >= Fraction(str(pass_mark)), sections=list(sections)
    )


@dataclass(frozen=True)
class KeyCorrection:
    """How a delivered item is scored after a key correction (a regrade):

    - ``rekey``: ``key`` replaces the published key;
    - ``accept``: ``key`` earns the point as well as the published key;
    - ``drop``: the item counts for nobody (neither earned nor possible).
    """

    change: str
    key: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"change": self.change, "key": list(self.key)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> KeyCorrection:
        key = data.get("key") or []
        assert isinstance(key, list)
        return cls(str(data["change"]), tuple(str(k) for k in key))


def score_corrected_item(
    key: Iterable[str], correction: KeyCorrection | None, choices: Iterable[str] | None
) -> Fraction | None:
    """The item's credit under its correction; None when the correction drops it."""
    if correction is None:
        return score_choice_item(key, choices)
    if correction.change == "drop":
        return None
    if correction.change == "rekey":
        return score_choice_item(correction.key, choices)
    chosen = list(choices or [])
    return max(score_choice_item(key, chosen), score_choice_item(correction.key, chosen))
