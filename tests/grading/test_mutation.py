"""Mutation testing in validation: a judge that misses a mutant of the reference fails
validation; the same mutant accepted with a reason passes; equivalent mutants do not
count; a fault only some seeds catch is a survivor."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.grading.validation import validate_scenario_folder

pytestmark = pytest.mark.sandbox

YAML = """
id: toy-threshold
version: 1
title: The alert never fires
level: professional
domain: monitoring
time_hint_minutes: 10
max_public_runs: 5
brief: |
  The error-rate alert stays silent through incidents. It must fire when the error rate
  is strictly above the limit in policy.yaml, and only then.
editable: [alert.py]
checks:
  - name: fires
    points: 1
    public: true
    description: The alert fires exactly when the error rate is above the limit.
  - name: fires_again
    points: 1
    description: The alert gives the same answers when asked twice.
    step: fires
cheap_fixes:
  - name: always fire
    path: cheap/always
    fails: [fires]
"""

WORKSPACE = """
def fires(rate, limit):
    return rate < limit
"""

SOLUTION = """
def fires(rate, limit):
    return rate > limit
"""

PROBE = """
def step_fires(inputs):
    import alert
    return [alert.fires(r, inputs["limit"]) for r in inputs["rates"]]
"""

# Sees the rate on the limit but does not judge it: the ``>=`` mutant answers
# differently there and still passes.
JUDGE_WITHOUT_BOUNDARY = """
from app.grading.judging import Verdict


def make_inputs(seed, params):
    return {"limit": 0.05, "rates": [0.0, 0.01, 0.05, 0.2, 0.5]}


def check_fires(cand, ref, inputs):
    judged = [i for i, r in enumerate(inputs["rates"]) if r != inputs["limit"]]
    ok = all(cand.data[i] == ref.data[i] for i in judged)
    return Verdict.ok() if ok else Verdict.fail("The alert is wrong.")


check_fires_again = check_fires
"""

JUDGE_WITH_BOUNDARY = JUDGE_WITHOUT_BOUNDARY.replace('if r != inputs["limit"]', "if r == r")

# The boundary case only in some seeds' extras: the battery misses it.
JUDGE_LUCKY = """
import random

from app.grading.judging import Verdict


def make_inputs(seed, params):
    rates = [0.0, 0.01, 0.2, 0.5]
    if random.Random(seed).random() < 0.5:
        rates.append(0.05)
    return {"limit": 0.05, "rates": rates}


def check_fires(cand, ref, inputs):
    return Verdict.ok() if cand.data == ref.data else Verdict.fail("The alert is wrong.")


check_fires_again = check_fires
"""

MUTANT = "alert.py:2:CmpBoundary:>>>="


def build(root: Path, judge: str, extra_yaml: str = "") -> Path:
    path = root / "toy-threshold"
    for sub in ("workspace", "solution", "checks", "cheap/always"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    (path / "scenario.yaml").write_text(textwrap.dedent(YAML).lstrip() + extra_yaml)
    (path / "workspace" / "alert.py").write_text(WORKSPACE.lstrip())
    (path / "solution" / "alert.py").write_text(SOLUTION.lstrip())
    (path / "cheap" / "always" / "alert.py").write_text(
        "def fires(rate, limit):\n    return True\n"
    )
    (path / "checks" / "probe.py").write_text(PROBE.lstrip())
    (path / "checks" / "judge.py").write_text(judge.lstrip())
    return path


async def test_a_judge_that_misses_a_mutant_fails_validation(tmp_path: Path) -> None:
    report = await validate_scenario_folder(build(tmp_path, JUDGE_WITHOUT_BOUNDARY))
    assert report.mutation is not None
    survivors = [r.mutant.id for r in report.mutation.results if r.status == "survived"]
    assert survivors == [MUTANT]
    assert any(MUTANT in p and "survives" in p for p in report.problems)
    assert report.mutation.score < 1.0


async def test_the_same_mutant_accepted_with_a_reason_passes(tmp_path: Path) -> None:
    accepted = (
        "accepted_mutants:\n"
        f'  - id: "{MUTANT}"\n'
        "    reason: the limit is a rate that no real minute hits exactly\n"
    )
    report = await validate_scenario_folder(build(tmp_path, JUDGE_WITHOUT_BOUNDARY, accepted))
    assert report.problems == []
    assert report.mutation is not None
    assert {r.mutant.id: r.status for r in report.mutation.results}[MUTANT] == "accepted"
    assert report.mutation.score == 1.0
    assert "1 accepted" in report.line()


async def test_a_judge_with_the_boundary_in_its_battery_kills_it(tmp_path: Path) -> None:
    report = await validate_scenario_folder(build(tmp_path, JUDGE_WITH_BOUNDARY))
    assert report.problems == [], report.problems
    assert report.mutation is not None and report.mutation.score == 1.0
    assert report.mutation.count("killed") >= 3


async def test_a_fault_only_some_seeds_catch_is_a_survivor(tmp_path: Path) -> None:
    report = await validate_scenario_folder(build(tmp_path, JUDGE_LUCKY))
    assert report.mutation is not None
    [result] = [r for r in report.mutation.results if r.mutant.id == MUTANT]
    assert result.status == "survived" and result.surviving_seeds


async def test_a_stale_accepted_mutant_is_reported(tmp_path: Path) -> None:
    stale = (
        "accepted_mutants:\n"
        '  - id: "alert.py:99:CmpFlip:<>>"\n'
        "    reason: this line no longer exists in the reference\n"
    )
    report = await validate_scenario_folder(build(tmp_path, JUDGE_WITH_BOUNDARY, stale))
    assert any("no longer generated" in p for p in report.problems)


def test_the_cli_prints_the_mutation_score_and_fails_on_a_survivor(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.grading.commands import scenarios_app

    runner = CliRunner()
    weak = runner.invoke(
        scenarios_app, ["validate", str(build(tmp_path / "a", JUDGE_WITHOUT_BOUNDARY)), "-v"]
    )
    assert weak.exit_code == 1
    assert "FAIL toy-threshold" in weak.output and "mutation 75%" in weak.output
    assert f"survived   {MUTANT}" in weak.output
    strong = runner.invoke(
        scenarios_app, ["validate", str(build(tmp_path / "b", JUDGE_WITH_BOUNDARY))]
    )
    assert strong.exit_code == 0, strong.output
    assert "ok   toy-threshold" in strong.output and "mutation 100%" in strong.output


async def test_a_mutant_of_one_file_runs_with_the_rest_of_the_reference(tmp_path: Path) -> None:
    """A two-file fix: the mutant of rule.py is graded with the reference's alert.py, not
    the workspace's (which would fail every check and "kill" any mutant of rule.py)."""
    path = build(tmp_path, JUDGE_WITHOUT_BOUNDARY)
    text = (
        (path / "scenario.yaml")
        .read_text()
        .replace("editable: [alert.py]", "editable: [alert.py, rule.py]")
    )
    (path / "scenario.yaml").write_text(text)
    (path / "workspace" / "alert.py").write_text(
        "import rule\n\n\ndef fires(rate, limit):\n    return not rule.above(rate, limit)\n"
    )
    (path / "workspace" / "rule.py").write_text(
        "def above(rate, limit):\n    return rate >= limit\n"
    )
    (path / "solution" / "alert.py").write_text(
        "import rule\n\n\ndef fires(rate, limit):\n    return rule.above(rate, limit)\n"
    )
    (path / "solution" / "rule.py").write_text("def above(rate, limit):\n    return rate > limit\n")
    report = await validate_scenario_folder(path)
    assert report.mutation is not None
    status = {r.mutant.id: r.status for r in report.mutation.results}
    assert status["rule.py:2:CmpBoundary:>>>="] == "survived"
    assert any("rule.py:2:CmpBoundary" in p for p in report.problems)
