"""The outcome of one rescore, and the counts: the rule the preview and the apply share."""

from __future__ import annotations

import pytest

from app.regrading.impact import impact_of, outcome


@pytest.mark.parametrize(
    ("old", "new", "passed", "passes_now", "policy", "expected"),
    [
        (0.8, 0.8, True, True, "keep", ("unchanged", True)),
        (0.6, 0.6, False, False, "revoke", ("unchanged", False)),
        (0.8, 1.0, True, True, "keep", ("changed", True)),
        (0.4, 0.6, False, False, "keep", ("changed", False)),
        (0.6, 0.8, False, True, "keep", ("new_pass", True)),
        (0.8, 0.6, True, False, "keep", ("pass_kept", True)),
        (0.8, 0.6, True, False, "revoke", ("pass_revoked", False)),
        # A pass kept by an earlier regrade (score under the mark) that moves again but
        # stays under it: kept again under keep, withdrawn under revoke.
        (0.6, 0.4, True, False, "keep", ("pass_kept", True)),
        # The score moves, the pass (kept earlier) stands: not a new pass.
        (0.6, 0.8, True, True, "keep", ("changed", True)),
    ],
)
def test_outcome(
    old: float,
    new: float,
    passed: bool,
    passes_now: bool,
    policy: str,
    expected: tuple[str, bool],
) -> None:
    assert outcome(old, new, passed, passes_now, policy) == expected


def test_counts_per_exam_and_in_total() -> None:
    impact = impact_of(
        [
            ("a", "unchanged", 3),
            ("a", "new_pass", 1),
            ("a", "pass_kept", 2),
            ("b", "changed", 4),
            ("b", "pass_revoked", 1),
        ]
    )
    assert vars(impact.total) == {
        "affected": 11,
        "changed": 8,
        "new_passes": 1,
        "below_pass_mark": 3,
        "passes_kept": 2,
        "passes_revoked": 1,
    }
    assert impact.by_exam["a"].affected == 6 and impact.by_exam["b"].changed == 5
