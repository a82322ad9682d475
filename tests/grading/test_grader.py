"""The grader: partial credit, failures that are the candidate's (score 0, safe message)
and failures that are not (retried, never a score), the record, the channel, the CLI."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.grading import grader
from app.grading.commands import scenarios_app
from app.grading.driver import FRAME_MARK, HELLO
from app.grading.exceptions import GradingUnavailable, SandboxStartError, SubmissionRejected
from app.grading.grader import grade_submission, parse_channel, validate_scenario_async
from app.grading.sandbox import Limits, Sandbox, SandboxResult
from app.grading.scenarios import Scenario, load_scenario, load_scenarios
from app.grading.variants import inputs_seed

pytestmark = pytest.mark.sandbox

WORKSPACE = """
def double(x):
    return x + x + 1


def triple(x):
    return 3 * x


def many(xs):
    return [x + 1 if x % 2 else x + 2 for x in xs]
"""

SOLUTION = """
def double(x):
    return 2 * x


def triple(x):
    return 3 * x


def many(xs):
    return [x + 1 for x in xs]
"""

PROBE = """
def step_double(inputs):
    import pipeline
    return [pipeline.double(x) for x in inputs["xs"]]


def step_triple(inputs):
    import pipeline
    return [pipeline.triple(x) for x in inputs["xs"]]


def step_many(inputs):
    import pipeline
    return pipeline.many(inputs["xs"])
"""

JUDGE = """
import random

from app.grading.judging import Verdict


def make_inputs(seed):
    rng = random.Random(seed)
    return {"xs": [rng.randint(-1000, 1000) for _ in range(20)]}


def check_doubles(cand, ref, inputs):
    return Verdict.ok() if cand.data == ref.data else Verdict.fail("double() is wrong.")


def check_triples(cand, ref, inputs):
    return cand.data == ref.data


def check_many(cand, ref, inputs):
    good = sum(a == b for a, b in zip(cand.data, ref.data))
    return Verdict.share(good, len(ref.data), f"{len(ref.data) - good} values are wrong.")
"""

YAML = """
id: toy-pipeline
version: 3
title: A toy pipeline for the grader's tests
level: professional
domain: lifecycle
time_hint_minutes: 5
max_public_runs: 3
brief: |
  Fix double() and many() in pipeline.py; this text only needs to be long enough.
editable: [pipeline.py]
limits: {step_seconds: 1, run_seconds: 4}
checks:
  - {name: doubles, points: 2, public: true, step: double, description: double() doubles its input.}
  - {name: triples, points: 1, step: triple, description: triple() still triples its input.}
  - {name: many, points: 4, step: many, description: many() adds one to every value.}
cheap_fixes:
  - {name: fix double only, path: cheap/double, fails: [many]}
"""


def build(root: Path, workspace: str = WORKSPACE) -> Path:
    path = root / "toy-pipeline"
    for sub in ("workspace", "solution", "checks", "cheap/double"):
        (path / sub).mkdir(parents=True)
    (path / "scenario.yaml").write_text(YAML)
    (path / "workspace" / "pipeline.py").write_text(workspace)
    (path / "solution" / "pipeline.py").write_text(SOLUTION)
    (path / "checks" / "probe.py").write_text(PROBE)
    (path / "checks" / "judge.py").write_text(JUDGE)
    (path / "cheap" / "double" / "pipeline.py").write_text(WORKSPACE.replace("x + x + 1", "2 * x"))
    return path


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return load_scenario(build(tmp_path))


def candidate(body: str) -> dict[str, str]:
    return {"pipeline.py": textwrap.dedent(body)}


def by_name(record: grader.GradingRecord) -> dict[str, grader.CheckResult]:
    return {c.name: c for c in record.checks}


async def test_solution_scores_full_marks(scenario: Scenario) -> None:
    record = await grade_submission(scenario, {"pipeline.py": SOLUTION}, seed=1)
    assert record.score == 1.0
    assert record.earned == record.possible == 7
    assert all(c.passed for c in record.checks)


async def test_partial_credit_is_across_checks_and_a_check_is_met_or_not(
    scenario: Scenario,
) -> None:
    record = await grade_submission(scenario, {}, seed=2)
    checks = by_name(record)
    assert not checks["doubles"].passed and checks["doubles"].earned == 0
    assert checks["triples"].passed and checks["triples"].earned == 1
    # Odd inputs are right, even ones wrong: most cases right is still a wrong fix.
    assert not checks["many"].passed and checks["many"].earned == 0
    assert record.earned == 1 and record.score == pytest.approx(1 / 7)


async def test_a_hung_step_scores_zero_and_the_others_still_count(scenario: Scenario) -> None:
    hung = SOLUTION.replace("    return 2 * x", "    while True:\n        pass")
    record = await grade_submission(scenario, {"pipeline.py": hung}, seed=3)
    checks = by_name(record)
    assert checks["doubles"].earned == 0
    assert checks["doubles"].message.startswith("Timed out")
    assert checks["triples"].passed and checks["many"].passed


async def test_a_crash_scores_zero_with_a_message_safe_for_the_candidate(
    scenario: Scenario,
) -> None:
    crashing = SOLUTION.replace("    return 2 * x", "    raise ValueError('bad x %d' % x)")
    record = await grade_submission(scenario, {"pipeline.py": crashing}, seed=4)
    message = by_name(record)["doubles"].message
    assert "ValueError: bad x" in message and "pipeline.py:3" in message
    for leak in ("Traceback", "probe", "driver", "/opt/assay", "/sandbox", "assay_judge"):
        assert leak not in message


async def test_an_exit_in_the_pipeline_stops_the_run_and_later_checks_score_zero(
    scenario: Scenario,
) -> None:
    exiting = SOLUTION.replace("    return 3 * x", "    import os\n    os._exit(0)")
    record = await grade_submission(scenario, {"pipeline.py": exiting}, seed=5)
    checks = by_name(record)
    assert checks["doubles"].passed
    assert checks["triples"].earned == 0 and checks["many"].earned == 0
    assert checks["many"].message.startswith("Not reached")


async def test_public_only_grades_only_public_checks(scenario: Scenario) -> None:
    record = await grade_submission(scenario, {"pipeline.py": SOLUTION}, seed=6, public_only=True)
    assert [c.name for c in record.checks] == ["doubles"]
    assert record.public_only and record.possible == 2


async def test_files_outside_the_editable_list_are_rejected(scenario: Scenario) -> None:
    for files in ({"run.py": "x"}, {"../pipeline.py": "x"}, {"conftest.py": "x"}):
        with pytest.raises(SubmissionRejected):
            await grade_submission(scenario, files, seed=1)


async def test_the_record_is_json_and_says_what_ran(scenario: Scenario) -> None:
    record = await grade_submission(scenario, {"pipeline.py": SOLUTION}, seed=7)
    data = json.loads(record.to_json())
    assert data["scenario_id"] == "toy-pipeline" and data["scenario_version"] == 3
    assert data["grader_version"] == grader.GRADER_VERSION
    assert data["sandbox_layer"] in ("bubblewrap", "process")
    # The seed is the scenario's own (id, version, variant), never the caller's.
    assert data["seed"] == inputs_seed("toy-pipeline", 3, {}) and len(data["input_hash"]) == 64
    assert data["params"] == {}
    assert len(data["candidate_output_hash"]) == 64
    assert set(data["durations"]) >= {"candidate_seconds", "total_seconds"}
    assert data["checks"][0] == {
        "name": "doubles",
        "points": 2,
        "earned": 2.0,
        "passed": True,
        "message": "passed",
        "public": True,
    }


async def test_same_inputs_whatever_the_seed_and_reference_is_reused(scenario: Scenario) -> None:
    grader.clear_reference_cache()
    first = await grade_submission(scenario, {}, seed=8)
    second = await grade_submission(scenario, {}, seed=9)
    assert first.input_hash == second.input_hash and first.seed == second.seed
    assert not first.reference_cached and second.reference_cached
    assert first.checks == second.checks
    other = await grader.grade_run(scenario, {}, inputs_seed=first.seed + 1)
    assert other.record.input_hash != first.input_hash and not other.record.reference_cached


class FlakySandbox(Sandbox):
    """Delegates to a real sandbox after ``failures`` start failures."""

    layer = "flaky"

    def __init__(self, real: Sandbox, failures: int, *, no_hello: bool = False) -> None:
        self.real = real
        self.failures = failures
        self.no_hello = no_hello
        self.calls = 0
        self.details = {}

    def _command(self, *args: object) -> tuple[list[str], list[int], str | None, object]:
        raise NotImplementedError

    async def run(
        self, script: bytes, *, stdin: bytes = b"", limits: Limits | None = None
    ) -> SandboxResult:
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            if self.no_hello:
                return SandboxResult("flaky", 1, False, b"", False, b"", b"boom", False, 0.0, 0)
            raise SandboxStartError("bwrap: Creating new namespace failed")
        return await self.real.run(script, stdin=stdin, limits=limits)


async def test_infrastructure_failures_are_retried_and_not_counted(scenario: Scenario) -> None:
    grader.clear_reference_cache()
    for no_hello in (False, True):
        flaky = FlakySandbox(grader.default_sandbox(), failures=2, no_hello=no_hello)
        record = await grade_submission(scenario, {"pipeline.py": SOLUTION}, seed=10, sandbox=flaky)
        assert record.score == 1.0
        assert flaky.calls >= 3


async def test_persistent_infrastructure_failure_raises_instead_of_scoring(
    scenario: Scenario,
) -> None:
    grader.clear_reference_cache()
    flaky = FlakySandbox(grader.default_sandbox(), failures=100)
    with pytest.raises(GradingUnavailable):
        await grade_submission(scenario, {"pipeline.py": SOLUTION}, seed=11, sandbox=flaky)


async def test_validation_of_the_toy_scenario(tmp_path: Path) -> None:
    assert await validate_scenario_async(build(tmp_path)) == []


async def test_validation_reports_a_workspace_that_already_passes(tmp_path: Path) -> None:
    problems = await validate_scenario_async(build(tmp_path, workspace=SOLUTION))
    assert any("workspace as given passes" in p for p in problems)


def frame(nonce: str, kind: str, name: str, body: bytes) -> bytes:
    return FRAME_MARK + f"{nonce} {kind} {name} {len(body)}\n".encode() + body + b"\n"


NONCE = "0123456789abcdef0123456789abcdef"
OK = b'{"status":"ok","data":1}'


def test_channel_with_the_drivers_frames_is_accepted() -> None:
    data = HELLO + frame(NONCE, "step", "a", OK) + frame(NONCE, "done", "-", b"")
    out = parse_channel(data, NONCE, ["a"])
    assert out.started and out.done and not out.tampered and out.steps["a"]["data"] == 1


@pytest.mark.parametrize(
    "data",
    [
        HELLO + b"junk" + frame(NONCE, "step", "a", OK),
        HELLO + frame("f" * 32, "step", "a", OK),
        HELLO + frame(NONCE, "step", "a", OK) + frame(NONCE, "step", "a", OK),
        HELLO + frame(NONCE, "step", "b", OK),
        HELLO + frame(NONCE, "step", "a", b'{"status":"passed"}'),
        HELLO + frame(NONCE, "done", "-", b"") + frame(NONCE, "step", "a", OK),
        HELLO + frame(NONCE, "step", "a", OK)[:-1] + b"X",
    ],
)
def test_anything_but_the_drivers_frames_voids_the_run(data: bytes) -> None:
    assert parse_channel(data, NONCE, ["a", "b2"]).tampered


def test_a_frame_cut_short_is_not_tampering() -> None:
    whole = frame(NONCE, "step", "a", OK)
    for cut in (5, 40, len(whole) - 3):
        out = parse_channel(HELLO + whole[:cut], NONCE, ["a"])
        assert out.started and not out.tampered and "a" not in out.steps


def test_no_hello_means_the_sandbox_never_started() -> None:
    assert not parse_channel(b"", NONCE, ["a"]).started


def test_cli_grades_a_folder_and_exits_zero_whatever_the_score(tmp_path: Path) -> None:
    root = tmp_path / "scenarios"
    build(root)
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "pipeline.py").write_text(WORKSPACE)
    runner = CliRunner()
    result = runner.invoke(
        scenarios_app,
        ["grade", "toy-pipeline", str(folder), "--json", "--scenarios", str(root), "--seed", "3"],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["scenario_id"] == "toy-pipeline" and 0 < record["score"] < 1
    unknown = runner.invoke(scenarios_app, ["grade", "nope", str(folder), "--scenarios", str(root)])
    assert unknown.exit_code == 2


def test_repository_scenarios_load() -> None:
    scenarios = load_scenarios(Path(__file__).parents[2] / "scenarios")
    assert len(scenarios) >= 12
