"""What a rescore means for one attempt, and the counts a preview and an apply report.
Pure: the preview and the apply job both classify every attempt with ``outcome``, so
the counts a preview shows are the counts the apply produces.

The drop policy (``ASSAY_REGRADE_DROP_POLICY``) decides a pass that a correction takes
below the pass mark. ``keep`` (the default): the candidate keeps the pass and its
certificate; the new score is recorded. A key error is the program's mistake, not the
candidate's, and a certificate an employer has already verified must not turn into a
revoked one because we mis-keyed an item. ``revoke``: the pass is withdrawn and every
certificate the attempt produced is revoked with the regrade's reason (PROGRAM.md
allows revocation on regrading; a body that must never certify a fail chooses it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

# The outcomes (names, not secrets: S105 reads "pass" as a password).
UNCHANGED = "unchanged"
CHANGED = "changed"  # the score moves, the pass or fail does not
NEW_PASS = "new_pass"  # noqa: S105
# Below the pass mark now: the pass kept, or withdrawn, by the policy.
PASS_KEPT = "pass_kept"  # noqa: S105
PASS_REVOKED = "pass_revoked"  # noqa: S105

POLICIES = {
    "keep": "A pass that drops below the pass mark is kept, with its certificate: "
    "a key error never takes a pass away.",
    "revoke": "A pass that drops below the pass mark is withdrawn and its certificates "
    "are revoked with the regrade's reason.",
}


def outcome(
    old_score: float, new_score: float, passed_before: bool, passes_now: bool, policy: str
) -> tuple[str, bool]:
    """The attempt's outcome and whether it counts as passed after the regrade."""
    if new_score == old_score:
        return UNCHANGED, passed_before
    if passed_before and not passes_now:
        return (PASS_KEPT, True) if policy == "keep" else (PASS_REVOKED, False)
    if passes_now and not passed_before:
        return NEW_PASS, True
    return CHANGED, passed_before


@dataclass(frozen=True)
class Rescored:
    attempt_id: uuid.UUID
    exam_code: str
    old_score: float
    new_score: float
    passed_before: bool
    passed_after: bool
    outcome: str


@dataclass
class Counts:
    affected: int = 0
    changed: int = 0  # every attempt whose score moves
    new_passes: int = 0
    below_pass_mark: int = 0  # passes the correction takes below the mark
    passes_kept: int = 0
    passes_revoked: int = 0

    def add(self, outcome_name: str, n: int = 1) -> None:
        self.affected += n
        if outcome_name != UNCHANGED:
            self.changed += n
        if outcome_name == NEW_PASS:
            self.new_passes += n
        if outcome_name in (PASS_KEPT, PASS_REVOKED):
            self.below_pass_mark += n
        if outcome_name == PASS_KEPT:
            self.passes_kept += n
        if outcome_name == PASS_REVOKED:
            self.passes_revoked += n


@dataclass
class Impact:
    total: Counts = field(default_factory=Counts)
    by_exam: dict[str, Counts] = field(default_factory=dict)

    def add(self, exam_code: str, outcome_name: str, n: int = 1) -> None:
        self.total.add(outcome_name, n)
        self.by_exam.setdefault(exam_code, Counts()).add(outcome_name, n)


def impact_of(outcomes: Iterable[tuple[str, str, int]]) -> Impact:
    """Counts from (exam code, outcome, how many) triples."""
    impact = Impact()
    for exam_code, outcome_name, n in outcomes:
        impact.add(exam_code, outcome_name, n)
    return impact
