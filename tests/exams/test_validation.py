"""Each validator rule, on a small bank broken in exactly the way the rule must catch."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.exams.validation import validate_bank
from app.grading.scenarios import load_scenarios
from tests.bank import blueprint, item, standard_items, write_bank


def _problems(root: Path) -> list[str]:
    return [str(p) for p in validate_bank(root).problems]


def _bank(tmp_path: Path, items: list[dict[str, Any]] | None = None, **bp: Any) -> Path:
    return write_bank(tmp_path / "bank", [blueprint(**bp)], items or standard_items())


def test_a_clean_bank_has_no_problems(tmp_path: Path) -> None:
    assert _problems(_bank(tmp_path)) == []


def test_schema_errors_name_the_file_and_line(tmp_path: Path) -> None:
    items = standard_items()
    items[2]["difficulty"] = 1.5  # LIF-F-003
    root = _bank(tmp_path, items)
    [problem] = _problems(root)
    path, line, message = problem.split(":", 2)
    assert path.endswith("items/lifecycle/foundation.yaml")
    text = Path(path).read_text().splitlines()
    assert text[int(line) - 1].strip().startswith("difficulty: 1.5")
    assert "difficulty" in message


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    root = _bank(tmp_path)
    (root / "items" / "data" / "broken.yaml").write_text("items:\n  - id: [unclosed\n")
    problems = _problems(root)
    assert any("broken.yaml:" in p and "not valid YAML" in p for p in problems)


def test_key_not_among_options(tmp_path: Path) -> None:
    items = standard_items()
    items[0]["key"] = ["e"]
    items[0]["rationale"]["distractors"] = {"a": "x", "b": "x", "c": "x", "d": "x"}
    assert any("not among the options" in p for p in _problems(_bank(tmp_path, items)))


@pytest.mark.parametrize("count", [3, 6])
def test_option_counts(tmp_path: Path, count: int) -> None:
    items = standard_items()
    items[0] = item("lifecycle", "foundation", 1, key=("b",), options=min(count, 5))
    items[0]["options"] = [{"id": "abcdef"[i], "text": f"option {i}"} for i in range(count)]
    assert any("options" in p for p in _problems(_bank(tmp_path, items)))


def test_single_item_with_two_keys(tmp_path: Path) -> None:
    items = standard_items()
    items[0]["key"] = ["a", "b"]
    assert any("exactly one key" in p for p in _problems(_bank(tmp_path, items)))


def test_rationale_must_cover_every_distractor(tmp_path: Path) -> None:
    items = standard_items()
    del items[0]["rationale"]["distractors"]["a"]
    assert any("rationale.distractors" in p for p in _problems(_bank(tmp_path, items)))


@pytest.mark.parametrize("mark", [0.69, 0.76, 0.5])
def test_pass_mark_outside_the_program_range(tmp_path: Path, mark: float) -> None:
    problems = _problems(_bank(tmp_path, pass_mark=mark))
    assert any("pass mark" in p for p in problems)


def test_duplicate_and_near_duplicate_stems(tmp_path: Path) -> None:
    items = standard_items()
    stem = "During a release review the team finds the model registry has no lineage for the candidate model; what do you require before promotion?"
    items[0]["stem"] = stem
    items[1]["stem"] = stem
    items[2]["stem"] = stem.replace("During a release review", "In a release review")
    problems = _problems(_bank(tmp_path, items))
    assert any("is a duplicate of" in p for p in problems)
    assert any("near-duplicate" in p for p in problems)


@pytest.mark.parametrize("text", ["All of the above", "None of the above", "both of these"])
def test_all_or_none_of_the_above(tmp_path: Path, text: str) -> None:
    items = standard_items()
    items[3]["options"][2]["text"] = text
    assert any("all/none of the above" in p for p in _problems(_bank(tmp_path, items)))


def test_key_positions_must_be_balanced(tmp_path: Path) -> None:
    items = [item("lifecycle", "foundation", n, key=("a",)) for n in range(1, 11)]
    items += [item("data", "foundation", n, key=("abcd"[n % 4],)) for n in range(1, 5)]
    problems = _problems(_bank(tmp_path, items))
    assert any("lifecycle/foundation.yaml" in p and "not balanced" in p for p in problems)


def test_blueprint_the_pool_cannot_fill(tmp_path: Path) -> None:
    root = _bank(tmp_path, draws=[{"domain": "lifecycle", "level": "foundation", "count": 7}])
    problems = _problems(root)
    assert any("needs 7 mcq lifecycle/foundation, pool has 6" in p for p in problems)


def test_retired_items_do_not_count_towards_the_pool(tmp_path: Path) -> None:
    items = standard_items()
    items[0]["status"] = "retired"
    root = _bank(
        tmp_path, items, draws=[{"domain": "lifecycle", "level": "foundation", "count": 6}]
    )
    assert any("pool has 5" in p for p in _problems(root))


def test_unknown_prerequisite_and_renewal_target(tmp_path: Path) -> None:
    root = write_bank(
        tmp_path / "bank",
        [
            blueprint("test-a", prerequisites=["nope"]),
            blueprint("test-b", kind="renewal", renews="gone"),
        ],
        standard_items(),
    )
    problems = _problems(root)
    assert any("prerequisite nope is not an exam" in p for p in problems)
    assert any("renews gone" in p for p in problems)


def test_cli_lists_every_problem_and_exits_non_zero(tmp_path: Path) -> None:
    items = standard_items()
    items[0]["key"] = ["e"]
    items[5]["options"][1]["text"] = "None of the above"
    root = _bank(tmp_path, items, pass_mark=0.8)
    result = CliRunner().invoke(
        cli, ["content", "validate", str(root), "--scenarios", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "not among the options" in result.output
    assert "all/none of the above" in result.output
    assert "pass mark" in result.output
    assert "Items per domain and level" in result.output


def test_cli_summary_on_a_clean_bank(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["content", "validate", str(_bank(tmp_path)), "--scenarios", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "test-foundation" in result.output
    assert "forms 2" in result.output  # 6 lifecycle / 3 and 4 data / 2


REPO_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_cli_validates_scenarios_and_their_pool(tmp_path: Path) -> None:
    # One real scenario is enough to see the CLI validate it (every scenario's own
    # validation is tests/content/test_scenarios.py; doing them all again here took
    # minutes of CI).
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO_SCENARIOS / "leaky-scaler", scenarios / "leaky-scaler")
    root = write_bank(
        tmp_path / "bank",
        [
            blueprint(
                "test-practical",
                level="professional",
                sections=[
                    {
                        "kind": "mcq",
                        "weight": 0.6,
                        "draw": [{"domain": "lifecycle", "level": "professional", "count": 2}],
                    },
                    {
                        "kind": "scenario",
                        "weight": 0.4,
                        "draw": [{"level": "professional", "count": 40}],
                    },
                ],
            )
        ],
        standard_items(),
    )
    result = CliRunner().invoke(
        cli, ["content", "validate", str(root), "--scenarios", str(scenarios)]
    )
    assert result.exit_code == 1
    pool = sum(1 for s in load_scenarios(scenarios).values() if s.level == "professional")
    assert pool < 40
    assert f"needs 40 scenario */professional, pool has {pool}" in result.output
    assert "leaky-scaler" in result.output


@pytest.mark.parametrize(
    ("where", "text", "said"),
    [
        ("stem", "Which step comes first? Run `dvc repro", "a code span left open"),
        ("option", "Set <b>replicas</b> to 3", "raw HTML '<b>' would show as text"),
        ("option", "Follow [the runbook](https://example.org)", "a link"),
    ],
)
def test_markdown_that_would_not_render_cleanly_is_refused(
    tmp_path: Path, where: str, text: str, said: str
) -> None:
    items = standard_items()
    if where == "stem":
        items[2]["stem"] = text
    else:
        items[2]["options"][1]["text"] = text
    problems = _problems(_bank(tmp_path, items))
    assert any(said in p and items[2]["id"] in p for p in problems), problems


def test_a_scenario_brief_with_broken_markdown_is_refused() -> None:
    from dataclasses import replace

    from app.grading.validation import static_problems

    scenario = next(iter(load_scenarios(Path(__file__).parents[2] / "scenarios").values()))
    assert static_problems(scenario) == []
    broken = replace(scenario, brief=scenario.brief + "\n\nSee <div>the dashboard</div>.")
    assert any("brief: raw HTML '<div>'" in p for p in static_problems(broken))
