"""Every scenario in the repository is fit to ship: well-formed, its workspace fails,
its solution passes every check, every cheap fix it lists fails, and every mutant of
its reference fails the hidden checks (or is accepted with a reason)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from app.grading.grader import validate_scenario_async
from app.grading.scenarios import load_scenarios, scenario_dirs

SCENARIOS = Path(__file__).parents[2] / "scenarios"

# Scenarios that fail the stricter validation (extra seeds, mutation testing) until their
# content is reworked: strict, so a fixed one turns this red until it is removed here.
KNOWN_INVALID = {
    "canary-rollback": "a cheap fix passes on an extra seed: the battery misses it",
    "holdout-overlap-gate": "4 mutants survive (policy inlined, pass/fail branch swapped)",
    "latency-slo-alert": "the window's boundary (<= vs <) and the inlined fire threshold survive",
    "promotion-gate": "dropping the decision's reasons survives",
    "registry-lineage": "not writing the artifact survives",
}


def _marked(path: Path) -> object:
    reason = KNOWN_INVALID.get(path.name)
    if reason is None:
        return path
    return pytest.param(path, marks=pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.sandbox
@pytest.mark.parametrize(
    "path", [_marked(p) for p in scenario_dirs(SCENARIOS)], ids=lambda p: p.name
)
async def test_scenario_validates(path: Path) -> None:
    assert await validate_scenario_async(path) == []


def test_the_catalogue_covers_the_levels_and_domains() -> None:
    scenarios = load_scenarios(SCENARIOS)
    assert len(scenarios) >= 12
    levels = Counter(s.level for s in scenarios.values())
    assert all(levels[level] >= 3 for level in ("professional", "advanced", "specialist"))
    assert {s.domain for s in scenarios.values() if s.level == "specialist"} == {"governance"}
    assert len({s.domain for s in scenarios.values()}) >= 7
    for s in scenarios.values():
        assert s.public_checks and len(s.checks) >= 3, s.id
        assert s.cheap_fixes, s.id
