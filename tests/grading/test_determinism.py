"""The same submission gets the same grade every time, for every scenario on disk: the
workspace as given and each cheap fix, graded with five different seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.grading.grader import grade_submission
from app.grading.scenarios import load_scenario, scenario_dirs

SCENARIOS = Path(__file__).parents[2] / "scenarios"
SEEDS = (1, 2, 3, 97, 2**31 - 1)

pytestmark = pytest.mark.sandbox


@pytest.mark.parametrize("path", scenario_dirs(SCENARIOS), ids=lambda p: p.name)
async def test_the_same_submission_gets_the_same_grade(path: Path) -> None:
    scenario = load_scenario(path)
    variant = scenario.variant(scenario.draw_params(0)) if scenario.parameters else scenario
    submissions = {"as given": {}} | {fix.name: fix.files for fix in variant.cheap_fixes}
    for name, files in submissions.items():
        records = [
            await grade_submission(scenario, files, seed=seed, params=variant.params or None)
            for seed in SEEDS
        ]
        grades = {(r.score, tuple((c.name, c.earned) for c in r.checks)) for r in records}
        assert len(grades) == 1, (name, grades)
        assert len({(r.seed, r.input_hash) for r in records}) == 1, name
