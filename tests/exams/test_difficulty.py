"""Standard setting: each exam's expected score for a minimally qualified candidate, per
assembled form, against its pass mark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.cli import content_report
from app.exams.content import BlueprintSpec, ItemSpec
from app.exams.difficulty import (
    FORM_TOLERANCE,
    FORMS_SAMPLED,
    FormScores,
    ScenarioEstimate,
    expected_form_scores,
)
from app.exams.validation import validate_bank
from app.grading.scenarios import ScenarioFormatError, load_scenario
from tests.bank import blueprint, item, standard_items, write_bank
from tests.grading.test_grader import build


def _specs(items: list[dict[str, Any]], **bp: Any) -> tuple[BlueprintSpec, list[ItemSpec]]:
    return BlueprintSpec.model_validate(blueprint(**bp)), [
        ItemSpec.model_validate(i) for i in items
    ]


def _form_problems(root: Path) -> list[str]:
    return [str(p) for p in validate_bank(root).problems if "minimally qualified" in str(p)]


def test_forms_on_the_pass_mark_pass(tmp_path: Path) -> None:
    root = write_bank(tmp_path / "bank", [blueprint()], standard_items())
    report = validate_bank(root)
    assert [str(p) for p in report.problems] == []
    scores = report.form_scores["test-foundation"]
    assert len(scores.scores) == FORMS_SAMPLED
    assert scores.low == scores.high == pytest.approx(0.70)
    assert not scores.scenarios_at_pass_mark


def test_items_rated_easier_than_the_pass_mark_fail_the_exam(tmp_path: Path) -> None:
    items = standard_items()
    for data in items:
        data["difficulty"] = 0.80
    problems = _form_problems(write_bank(tmp_path / "bank", [blueprint()], items))
    [problem] = problems
    assert "exams/test-foundation.yaml:1:" in problem
    assert "80.0-80.0% (mean 80.0%)" in problem
    assert f"{FORMS_SAMPLED} of them differ from the pass mark 70%" in problem


def test_unbalanced_pools_make_some_forms_too_hard_or_too_easy(tmp_path: Path) -> None:
    items = standard_items()
    lifecycle = [d for d in items if d["id"].startswith("LIF-F")]
    for index, data in enumerate(lifecycle):  # mean 0.70, but a form can draw 3 of a kind
        data["difficulty"] = 0.80 if index % 2 else 0.60
    root = write_bank(tmp_path / "bank", [blueprint()], items)
    scores = validate_bank(root).form_scores["test-foundation"]
    assert scores.low == pytest.approx((3 * 0.60 + 2 * 0.70) / 5)
    assert scores.high == pytest.approx((3 * 0.80 + 2 * 0.70) / 5)
    assert 0 < len(scores.off_mark()) < FORMS_SAMPLED
    [problem] = _form_problems(root)
    assert "worst: form seed" in problem


def test_a_form_exactly_at_the_tolerance_passes() -> None:
    at_edge = FormScores("x", 0.70, (0.70 + FORM_TOLERANCE, 0.70 - FORM_TOLERANCE), False)
    assert at_edge.off_mark() == []
    beyond = FormScores("x", 0.70, (0.70, 0.70 + FORM_TOLERANCE + 0.001), False)
    assert beyond.off_mark() == [1]


def test_sections_are_weighted_and_scenarios_use_their_estimates() -> None:
    items = [
        item(domain, "professional", n, key=("abcd"[n % 4],), difficulty=0.60)
        for domain, count in (("lifecycle", 6), ("data", 4))
        for n in range(1, count + 1)
    ]
    spec, specs = _specs(
        items,
        code="test-professional",
        level="professional",
        pass_mark=0.72,
        sections=[
            {
                "kind": "mcq",
                "weight": 0.6,
                "draw": [{"domain": "lifecycle", "level": "professional", "count": 3}],
            },
            {"kind": "scenario", "weight": 0.4, "draw": [{"level": "professional", "count": 1}]},
        ],
    )
    # Without the scenarios: counted at the pass mark.
    unknown = expected_form_scores(spec, specs)
    assert unknown is not None and unknown.scenarios_at_pass_mark
    assert unknown.mean == pytest.approx(0.6 * 0.60 + 0.4 * 0.72)
    estimated = [
        ScenarioEstimate("s-one", "data", "professional", 0.90),
        ScenarioEstimate("s-two", "cicd", "professional", 0.90),
    ]
    scores = expected_form_scores(spec, specs, estimated)
    assert scores is not None and not scores.scenarios_at_pass_mark
    assert scores.low == scores.high == pytest.approx(0.6 * 0.60 + 0.4 * 0.90)
    # One scenario without an estimate: that one counts at the pass mark.
    mixed = [estimated[0], ScenarioEstimate("s-two", "cicd", "professional", None)]
    scores = expected_form_scores(spec, specs, mixed)
    assert scores is not None and scores.scenarios_at_pass_mark
    assert scores.low == pytest.approx(0.6 * 0.60 + 0.4 * 0.72)
    assert scores.high == pytest.approx(0.6 * 0.60 + 0.4 * 0.90)
    # No scenario at the level: no form can be assembled (the fill rule reports it).
    assert expected_form_scores(spec, specs, []) is None


def test_the_sampled_forms_are_the_same_every_run() -> None:
    items = standard_items()
    for n, data in enumerate(items):
        data["difficulty"] = 0.5 + (n % 9) / 20
    spec, specs = _specs(items)
    first = expected_form_scores(spec, specs)
    assert first is not None and first == expected_form_scores(spec, specs)
    assert first.low < first.high


def _toy_scenario(root: Path, difficulty: str | None) -> Path:
    path = build(root)
    if difficulty is not None:
        text = (path / "scenario.yaml").read_text()
        (path / "scenario.yaml").write_text(text + f"difficulty: {difficulty}\n")
    return path


def test_a_scenario_may_carry_its_own_estimate(tmp_path: Path) -> None:
    assert load_scenario(_toy_scenario(tmp_path / "a", "0.8")).difficulty == 0.8
    assert load_scenario(_toy_scenario(tmp_path / "b", None)).difficulty is None
    with pytest.raises(ScenarioFormatError, match="difficulty"):
        load_scenario(_toy_scenario(tmp_path / "c", "1.5"))


@pytest.mark.sandbox
def test_content_validate_counts_a_scenario_at_its_estimate(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    _toy_scenario(scenarios, "0.9")
    items = [
        item(domain, "professional", n, key=("abcd"[n % 4],), difficulty=0.72)
        for domain, count in (("lifecycle", 6), ("data", 4))
        for n in range(1, count + 1)
    ]
    sections = [
        {"kind": "mcq", "weight": 0.5, "draw": [{"level": "professional", "count": 4}]},
        {"kind": "scenario", "weight": 0.5, "draw": [{"level": "professional", "count": 1}]},
    ]
    root = write_bank(
        tmp_path / "bank",
        [blueprint("test-pro", level="professional", pass_mark=0.72, sections=sections)],
        items,
    )
    report, problems = content_report(root, scenarios)
    assert report.form_scores["test-pro"].mean == pytest.approx(0.5 * 0.72 + 0.5 * 0.9)
    assert any("test-pro: a minimally qualified candidate" in p for p in problems)
