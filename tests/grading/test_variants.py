"""Variants: parameters drawn per attempt, files rendered safely, the grade a function of
the submission and the variant only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.grading.commands import scenarios_app
from app.grading.exceptions import ScenarioInvalid
from app.grading.grader import grade_run, grade_submission
from app.grading.scenarios import Scenario, ScenarioFormatError, load_scenario
from app.grading.variants import ParameterSpec, check_value, draw, inputs_seed, render
from tests.grading.toy_variant import build


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return load_scenario(build(tmp_path))


def test_draws_are_deterministic_and_vary(scenario: Scenario) -> None:
    assert scenario.draw_params(11) == scenario.draw_params(11)
    drawn = {json.dumps(scenario.draw_params(s), sort_keys=True) for s in range(20)}
    assert len(drawn) >= 10
    for s in range(20):
        p = scenario.draw_params(s)
        assert p["column"] in ("latency_ms", "error_count", "queue_depth")
        assert p["limit"] in range(5, 51, 5)


def test_float_ranges_step_exactly() -> None:
    spec = ParameterSpec(min=0.1, max=0.3, step=0.05)
    assert spec.values() == [0.1, 0.15, 0.2, 0.25, 0.3]
    assert render("x = {{ t }}", {"t": 0.15}) == "x = 0.15"


def test_rendering_replaces_declared_names_only() -> None:
    text = "a={{ column }} b={{column}} c={{ other }} d={{ column.upper() }}"
    assert render(text, {"column": "lapsed"}) == (
        "a=lapsed b=lapsed c={{ other }} d={{ column.upper() }}"
    )


@pytest.mark.parametrize(
    "value", ["a b", "x'); import os; ('", "../etc/passwd", "{{ x }}", "", True, float("nan")]
)
def test_unsafe_values_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        check_value(value)


def test_a_scenario_with_unsafe_choices_does_not_load(tmp_path: Path) -> None:
    path = build(tmp_path)
    yaml_path = path / "scenario.yaml"
    yaml_path.write_text(
        yaml_path.read_text().replace("[latency_ms, error_count", "['a;b', error_count")
    )
    with pytest.raises(ScenarioFormatError):
        load_scenario(path)


def test_a_variant_renders_every_file_and_the_brief(scenario: Scenario) -> None:
    v = scenario.variant({"column": "queue_depth", "limit": 35})
    assert "`queue_depth`" in v.brief and "above 35" in v.brief
    assert 'COLUMN = "queue_depth"' in v.workspace_files["alerts.py"]
    assert "LIMIT = 35" in v.solution_files["alerts.py"]
    assert "LIMIT = 35" in v.cheap_fixes[0].files["alerts.py"]
    assert "{{" not in "".join(v.workspace_files.values())
    # The templates are untouched and a variant of a variant starts from them.
    assert "{{ column }}" in scenario.workspace_files["alerts.py"]
    w = v.variant({"column": "latency_ms", "limit": 5})
    assert 'COLUMN = "latency_ms"' in w.workspace_files["alerts.py"]
    assert v.content_digest != w.content_digest


@pytest.mark.parametrize(
    "params",
    [
        {"column": "queue_depth"},
        {"column": "bogus", "limit": 5},
        {"column": "queue_depth", "limit": 7},
        {"column": "queue_depth", "limit": 5, "extra": 1},
    ],
)
def test_parameters_outside_the_declaration_are_refused(
    scenario: Scenario, params: dict[str, object]
) -> None:
    with pytest.raises(ScenarioInvalid):
        scenario.variant(params)


def test_the_inputs_seed_depends_on_the_variant_only() -> None:
    a = inputs_seed("toy-variant", 1, {"column": "latency_ms", "limit": 5})
    assert a == inputs_seed("toy-variant", 1, {"limit": 5, "column": "latency_ms"})
    assert a != inputs_seed("toy-variant", 1, {"column": "latency_ms", "limit": 10})
    assert a != inputs_seed("toy-variant", 2, {"column": "latency_ms", "limit": 5})
    assert draw({}, "x", 3) == {}


@pytest.mark.sandbox
async def test_each_reference_passes_its_own_variant_and_fails_the_others(
    scenario: Scenario,
) -> None:
    a = {"column": "latency_ms", "limit": 10}
    b = {"column": "error_count", "limit": 25}
    ref_a = scenario.variant(a).solution_files
    ref_b = scenario.variant(b).solution_files
    assert ref_a != ref_b
    own_a = await grade_submission(scenario, ref_a, params=a)
    own_b = await grade_submission(scenario, ref_b, params=b)
    assert own_a.score == 1.0 and own_b.score == 1.0
    assert own_a.params == a and own_b.params == b
    swapped = await grade_submission(scenario, ref_a, params=b)
    assert swapped.score < 1.0
    assert not {c.name: c for c in swapped.checks}["alerts_match"].passed
    # Same column, other limit: the copied constant is found on the boundary battery.
    near = {"column": "latency_ms", "limit": 15}
    assert (await grade_submission(scenario, ref_a, params=near)).score < 1.0


@pytest.mark.sandbox
async def test_the_same_submission_gets_the_same_grade_whatever_the_seed(
    scenario: Scenario,
) -> None:
    files = {
        "alerts.py": scenario.variant({"column": "queue_depth", "limit": 20})
        .solution_files["alerts.py"]
        .replace(" > ", " >= ")
    }
    params = {"column": "queue_depth", "limit": 20}
    records = [await grade_submission(scenario, files, seed=s, params=params) for s in range(5)]
    assert len({(r.score, r.input_hash, r.seed) for r in records}) == 1
    assert records[0].score < 1
    # Only validation asks for other seeds, explicitly.
    other = await grade_run(scenario, files, params=params, inputs_seed=records[0].seed + 1)
    assert other.record.input_hash != records[0].input_hash


@pytest.mark.sandbox
def test_cli_grades_a_variant(tmp_path: Path, scenario: Scenario) -> None:
    folder = tmp_path / "submission"
    folder.mkdir()
    params = {"column": "error_count", "limit": 40}
    (folder / "alerts.py").write_text(scenario.variant(params).solution_files["alerts.py"])
    root = str(scenario.path.parent)
    runner = CliRunner()
    own = runner.invoke(
        scenarios_app,
        [
            "grade",
            "toy-variant",
            str(folder),
            "--json",
            "--scenarios",
            root,
            "--params",
            "column=error_count,limit=40",
        ],
    )
    assert own.exit_code == 0, own.output
    assert json.loads(own.stdout)["score"] == 1.0
    assert json.loads(own.stdout)["params"] == params
    seed = next(s for s in range(100) if scenario.draw_params(s) != params)
    other = runner.invoke(
        scenarios_app,
        [
            "grade",
            "toy-variant",
            str(folder),
            "--json",
            "--scenarios",
            root,
            "--variant-seed",
            str(seed),
        ],
    )
    assert other.exit_code == 0, other.output
    assert json.loads(other.stdout)["score"] < 1.0
    bad = runner.invoke(
        scenarios_app,
        [
            "grade",
            "toy-variant",
            str(folder),
            "--scenarios",
            root,
            "--params",
            "column=x;y,limit=5",
        ],
    )
    assert bad.exit_code == 2
