"""A pipeline run on its own: the entry as ``python`` would run it, in the real sandbox,
and the scenario format's ``entry`` and ``max_pipeline_runs``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.grading.pipeline import command_line, run_pipeline
from app.grading.sandbox import BubblewrapSandbox, ProcessSandbox, Sandbox
from app.grading.scenarios import Scenario, ScenarioFormatError, load_scenario

pytestmark = pytest.mark.sandbox

BASE_YAML = """
id: {id}
version: 1
title: A scenario whose pipeline is run
level: professional
domain: data
time_hint_minutes: 5
max_public_runs: 3
brief: |
  Only here for the pipeline-run tests: run the pipeline and read what it prints.
editable: [pipeline.py]
limits: {{step_seconds: 1, run_seconds: 3}}
checks:
  - {{name: one, points: 1, public: true, description: The first check of this scenario.}}
  - {{name: two, points: 1, description: The second check of this scenario.}}
cheap_fixes:
  - {{name: the same file again, path: cheap/same}}
"""

TOOL = """
import sys

import helpers

print("argv", sys.argv, "name", __name__)
print("path0", sys.path[0].rsplit("/", 1)[-1])
print(helpers.shout("hello"))
sys.exit(int(sys.argv[-1]))
"""


def write_scenario(
    root: Path, name: str, extra: str = "", files: dict[str, str] | None = None
) -> Path:
    path = root / name
    for sub in ("workspace", "solution", "checks", "cheap/same"):
        (path / sub).mkdir(parents=True)
    (path / "scenario.yaml").write_text(BASE_YAML.format(id=name) + extra)
    workspace = {"pipeline.py": "X = 1\n", **(files or {})}
    for rel, text in workspace.items():
        (path / "workspace" / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / "workspace" / rel).write_text(text)
    (path / "solution" / "pipeline.py").write_text("X = 2\n")
    (path / "cheap" / "same" / "pipeline.py").write_text("X = 1\n")
    (path / "checks" / "probe.py").write_text(
        "def step_one(i):\n    return 1\n\n\ndef step_two(i):\n    return 2\n"
    )
    (path / "checks" / "judge.py").write_text("def make_inputs(seed):\n    return {}\n")
    return path


@pytest.fixture(scope="module", params=["bubblewrap", "process"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    box: Sandbox
    if request.param == "bubblewrap":
        if shutil.which("bwrap") is None:
            pytest.skip("bubblewrap is not installed")
        box = BubblewrapSandbox(slots=2)
    else:
        box = ProcessSandbox(slots=2)
    yield box
    box.close()


def test_the_entry_defaults_to_run_py_where_there_is_one(tmp_path: Path) -> None:
    with_run = load_scenario(write_scenario(tmp_path, "with-run", files={"run.py": "print(1)\n"}))
    assert with_run.entry == ("run.py",) and with_run.max_pipeline_runs == 20
    assert command_line(with_run.entry) == "python run.py"
    without = load_scenario(write_scenario(tmp_path, "without-run"))
    assert without.entry is None


def test_a_declared_entry_must_be_a_workspace_script(tmp_path: Path) -> None:
    declared = load_scenario(
        write_scenario(
            tmp_path,
            "declared",
            "entry: [tools/report.py, --day, tuesday]\nmax_pipeline_runs: 5\n",
            {"tools/report.py": "print(1)\n"},
        )
    )
    assert declared.entry == ("tools/report.py", "--day", "tuesday")
    assert declared.max_pipeline_runs == 5
    with pytest.raises(ScenarioFormatError, match=r"entry: missing\.py is not in workspace"):
        load_scenario(write_scenario(tmp_path, "missing", "entry: [missing.py]\n"))
    with pytest.raises(ScenarioFormatError, match="entry"):
        load_scenario(write_scenario(tmp_path, "escape", "entry: [../judge.py]\n"))


async def test_the_entry_runs_as_python_would_run_it(tmp_path: Path, sandbox: Sandbox) -> None:
    scenario: Scenario = load_scenario(
        write_scenario(
            tmp_path,
            "runs",
            "entry: [tools/report.py, --day, '3']\n",
            {
                "tools/report.py": TOOL,
                "tools/helpers.py": "def shout(s):\n    return s.upper()\n",
            },
        )
    )
    out = await run_pipeline(scenario, {}, sandbox=sandbox)
    assert out.exit_code == 3 and not out.timed_out and out.layer == sandbox.layer
    assert out.stdout.splitlines() == [
        "argv ['tools/report.py', '--day', '3'] name __main__",
        "path0 tools",
        "HELLO",
    ]
    assert out.stderr == ""


async def test_only_editable_files_of_the_candidate_are_used(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    scenario = load_scenario(
        write_scenario(tmp_path, "edits", files={"run.py": "import pipeline\nprint(pipeline.X)\n"})
    )
    out = await run_pipeline(
        scenario, {"pipeline.py": "X = 42\n", "run.py": "print('not mine')\n"}, sandbox=sandbox
    )
    assert out.stdout == "42\n" and out.exit_code == 0


def test_assay_scenarios_run_prints_the_output_and_exits_with_its_status(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.grading.commands import scenarios_app

    root = tmp_path / "scenarios"
    write_scenario(
        root,
        "cli-run",
        files={"run.py": "import sys\nimport pipeline\nprint('X is', pipeline.X)\nsys.exit(3)\n"},
    )
    edits = tmp_path / "edits"
    edits.mkdir()
    (edits / "pipeline.py").write_text("X = 7\n")
    runner = CliRunner()
    given = runner.invoke(scenarios_app, ["run", "cli-run", "--scenarios", str(root)])
    assert given.exit_code == 3, given.output
    assert "$ python run.py" in given.stdout and "X is 1\n" in given.stdout
    edited = runner.invoke(scenarios_app, ["run", "cli-run", str(edits), "--scenarios", str(root)])
    assert "X is 7\n" in edited.stdout
    unknown = runner.invoke(scenarios_app, ["run", "nope", "--scenarios", str(root)])
    assert unknown.exit_code == 2


def test_the_cli_runs_a_variants_rendered_workspace(tmp_path: Path) -> None:
    """A scenario with parameters runs variant N (0 by default), never the template."""
    from typer.testing import CliRunner

    from app.grading.commands import scenarios_app
    from tests.grading.toy_variant import build as build_toy_variant

    root = tmp_path / "scenarios"
    root.mkdir()
    toy = load_scenario(build_toy_variant(root))
    runner = CliRunner()
    for seed in (0, 3, 4):
        p = toy.draw_params(seed)
        args = ["run", "toy-variant", "--scenarios", str(root)]
        got = runner.invoke(scenarios_app, [*args, "--variant-seed", str(seed)] if seed else args)
        assert got.exit_code == 0, got.output
        assert f"variant: column={p['column']}, limit={p['limit']}\n" in got.stdout
        assert f"alert on {p['column']} above {p['limit']}\n" in got.stdout
