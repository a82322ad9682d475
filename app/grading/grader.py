"""Grade a submission to a scenario: run it and the reference in the sandbox on the same
generated inputs, then judge the difference here, outside.

    seed   = inputs_seed(scenario id, version, variant's parameters)   never chance
    inputs = judge.make_inputs(seed, params)               (grader)
    cand   = sandbox(driver + probe, workspace + candidate's files, inputs)
    ref    = sandbox(driver + probe, workspace + solution/, inputs)    (concurrently)
    per check: judge.check_<name>(cand step data, ref step data, inputs) -> Verdict

What comes back from a sandbox is only bytes on a private channel; ``parse_channel``
accepts them only as the driver's exact framing with this run's nonce, in order, each
step once. Anything else means something other than the driver wrote there, and the
whole run counts for nothing. A step that crashed, timed out or never ran scores 0 with
a message written for the candidate. A sandbox that could not start is retried and, if
it still cannot, raises ``GradingUnavailable``: never a score.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import marshal
import math
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.config import get_settings
from app.grading.driver import FRAME_MARK, HELLO
from app.grading.exceptions import (
    GradingUnavailable,
    SandboxStartError,
    ScenarioInvalid,
    SubmissionRejected,
)
from app.grading.judging import Observed, Verdict
from app.grading.sandbox import Limits, Sandbox, SandboxResult, detect_sandbox
from app.grading.scenarios import (
    MAX_FILE_BYTES,
    MAX_WORKSPACE_BYTES,
    Scenario,
    call_make_inputs,
    load_scenarios,
)
from app.grading.variants import Params
from app.grading.variants import inputs_seed as derive_inputs_seed

__all__ = [
    "GRADER_VERSION",
    "CheckResult",
    "GradingRecord",
    "default_sandbox",
    "grade_submission",
    "load_scenarios",
    "validate_scenario",
    "validate_scenario_async",
]

GRADER_VERSION = "3.0"
DRIVER_SOURCE = (Path(__file__).parent / "driver.py").read_bytes()
START_ATTEMPTS = 3
OUTPUT_FOR_JUDGES = 64 * 1024

log = logging.getLogger(__name__)

TAMPERED_MESSAGE = (
    "Something other than the grader wrote to the grader's result channel during this "
    "run, so nothing from the run counts."
)


@dataclass(frozen=True)
class CheckResult:
    name: str
    points: int
    earned: float
    passed: bool
    message: str
    public: bool


@dataclass(frozen=True)
class GradingRecord:
    scenario_id: str
    scenario_version: int
    grader_version: str
    sandbox_layer: str
    # The seed the judge's inputs were made from: derived from the scenario and the
    # variant (see ``inputs_seed``), so the same submission meets the same inputs.
    seed: int
    input_hash: str
    candidate_output_hash: str
    checks: list[CheckResult]
    earned: float
    possible: int
    score: float
    public_only: bool
    durations: dict[str, float]
    sandbox: dict[str, str] = field(default_factory=dict)
    reference_cached: bool = False
    # The tail of what the candidate's code printed; for the candidate and proctors.
    output_tail: str = ""
    # The variant graded: the attempt's parameters ({} when the scenario has none).
    params: Params = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)


@dataclass
class RunOutcome:
    """What one sandbox run reported, as parsed from its channel."""

    started: bool
    tampered: bool = False
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    probe_error: str | None = None
    done: bool = False
    output: str = ""
    result: SandboxResult | None = None

    def ok_data(self) -> dict[str, Any]:
        return {k: v.get("data") for k, v in self.steps.items() if v.get("status") == "ok"}


_HEADER = re.compile(rb"([0-9a-f]{32}) (step|probe|done) ([a-z0-9_\-]{1,41}) (\d{1,9})\n")


def parse_channel(data: bytes, nonce: str, expected_steps: list[str]) -> RunOutcome:
    """Read the driver's frames; any byte that is not one of them voids the run.

    A frame cut short at the very end is a run killed mid-write, not tampering.
    """
    if not data.startswith(HELLO):
        return RunOutcome(started=False)
    out = RunOutcome(started=True)
    mark = FRAME_MARK + nonce.encode("ascii") + b" "
    pos = len(HELLO)
    remaining_steps = list(expected_steps)
    while pos < len(data):
        rest = data[pos:]
        if not rest.startswith(FRAME_MARK):
            if FRAME_MARK.startswith(rest):
                return out  # cut short
            out.tampered = True
            return out
        header_end = rest.find(b"\n")
        if header_end < 0:
            if mark.startswith(rest[: len(mark)]) and len(rest) < 80:
                return out  # cut short
            out.tampered = True
            return out
        m = _HEADER.fullmatch(rest[len(FRAME_MARK) : header_end + 1])
        if m is None or m.group(1) != nonce.encode("ascii") or out.done:
            out.tampered = True
            return out
        kind, name, length = m.group(2).decode(), m.group(3).decode(), int(m.group(4))
        body_start = header_end + 1
        body_end = body_start + length
        if len(rest) < body_end + 1:
            return out  # cut short
        if rest[body_end : body_end + 1] != b"\n":
            out.tampered = True
            return out
        body = rest[body_start:body_end]
        pos += body_end + 1
        if kind == "done":
            out.done = True
            continue
        try:
            payload = json.loads(body) if body else {}
        except (ValueError, RecursionError):
            out.tampered = True
            return out
        if not isinstance(payload, dict):
            out.tampered = True
            return out
        if kind == "probe":
            out.probe_error = str(payload.get("error", "probe failed"))
            continue
        # Steps arrive in the order asked for, each once.
        if not remaining_steps or name != remaining_steps[0]:
            out.tampered = True
            return out
        remaining_steps.pop(0)
        if payload.get("status") not in ("ok", "error", "timeout", "missing"):
            out.tampered = True
            return out
        out.steps[name] = payload
    return out


def _hash_json(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _check_files(scenario: Scenario, files: Mapping[str, str]) -> dict[str, str]:
    outside = sorted(p for p in files if p not in scenario.editable)
    if outside:
        raise SubmissionRejected(
            f"These files cannot be changed in this scenario: {', '.join(outside)}",
            paths=outside,
        )
    merged = dict(scenario.workspace_files)
    total = 0
    for path, text in files.items():
        if not isinstance(text, str):
            raise SubmissionRejected(f"{path}: file content must be text")
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > MAX_FILE_BYTES:
            raise SubmissionRejected(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        total += size
        merged[path] = text
    if total > MAX_WORKSPACE_BYTES:
        raise SubmissionRejected(f"the submission is larger than {MAX_WORKSPACE_BYTES} bytes")
    return merged


_reference_cache: OrderedDict[tuple[str, ...], RunOutcome] = OrderedDict()
REFERENCE_CACHE_SIZE = 256


def _cache_get(key: tuple[str, ...]) -> RunOutcome | None:
    hit = _reference_cache.get(key)
    if hit is not None:
        _reference_cache.move_to_end(key)
    return hit


def _cache_put(key: tuple[str, ...], outcome: RunOutcome) -> None:
    _reference_cache[key] = outcome
    while len(_reference_cache) > REFERENCE_CACHE_SIZE:
        _reference_cache.popitem(last=False)


def clear_reference_cache() -> None:
    _reference_cache.clear()


def default_sandbox() -> Sandbox:
    """The process-wide sandbox, detected on first use. In production
    (``ASSAY_ENV=production``) the bubblewrap layer is required unless
    ``ASSAY_SANDBOX_ALLOW_PROCESS`` is set: without it this raises
    ``IsolationUnavailable`` rather than grade on the process layer."""
    return detect_sandbox(require_isolation=get_settings().sandbox_requires_isolation)


async def _run_once(
    sandbox: Sandbox,
    scenario: Scenario,
    files: Mapping[str, str],
    steps: list[str],
    inputs: Any,
) -> RunOutcome:
    nonce = secrets.token_hex(16)
    request = {
        "nonce": nonce,
        "files": dict(files),
        "probe": scenario.probe_source,
        "steps": [{"name": s, "timeout": scenario.step_seconds} for s in steps],
        "inputs": inputs,
    }
    limits = Limits(
        wall_seconds=scenario.run_seconds,
        cpu_seconds=math.ceil(scenario.run_seconds) + 1,
    )
    payload = marshal.dumps(request, 4)
    result = await sandbox.run(DRIVER_SOURCE, stdin=payload, limits=limits)
    outcome = parse_channel(result.channel, nonce, steps)
    outcome.result = result
    text = (result.stdout + result.stderr).decode("utf-8", errors="replace")
    outcome.output = text[-OUTPUT_FOR_JUDGES:]
    return outcome


async def _run_started(run: Callable[[], Awaitable[RunOutcome]], what: str) -> RunOutcome:
    """Retry a run whose sandbox did not start (no driver hello): never the candidate's
    doing, since the driver says hello before it reads a byte of their files."""
    last = ""
    for attempt in range(START_ATTEMPTS):
        try:
            outcome = await run()
        except SandboxStartError as exc:
            last = exc.message
        else:
            if outcome.started:
                return outcome
            assert outcome.result is not None
            last = outcome.result.stderr.decode(errors="replace").strip()[:300] or "no output"
        log.warning("sandbox for %s did not start (attempt %d): %s", what, attempt + 1, last)
        await asyncio.sleep(0.05 * (attempt + 1) ** 2)
    raise SandboxStartError(f"the sandbox did not start for the {what} run: {last}")


def _step_message(outcome: RunOutcome, step: str, scenario: Scenario) -> str | None:
    """Why a step has no data, in words for the candidate; None when it has data."""
    reported = outcome.steps.get(step)
    if reported is not None:
        status = reported.get("status")
        if status == "ok":
            return None
        if status == "timeout":
            return (
                f"Timed out: this part of the pipeline ran longer than {scenario.step_seconds:g} s."
            )
        if status == "error":
            return f"Your pipeline raised an error here: {str(reported.get('error'))[:400]}"
        return "This check could not run."
    if outcome.probe_error is not None:
        return f"The pipeline could not be loaded: {outcome.probe_error[:400]}"
    result = outcome.result
    if result is not None and result.timed_out:
        return f"Not reached: the run exceeded its {scenario.run_seconds:g} s time limit."
    if result is not None and result.killed_by_signal is not None:
        return "Not reached: the run was stopped for exceeding a CPU, memory or process limit."
    if result is not None and result.channel_overflow:
        return "Not reached: the run produced too much output."
    return "Not reached: the run ended before this check (the pipeline exited early)."


def _judge_check(
    scenario: Scenario,
    check_name: str,
    cand: Observed,
    ref: Observed,
    inputs: Any,
) -> Verdict:
    fn = getattr(scenario.judge, f"check_{check_name}", None)
    if not callable(fn):
        raise ScenarioInvalid(f"{scenario.id}: checks/judge.py has no check_{check_name}()")
    try:
        verdict = fn(cand, ref, inputs)
    except Exception:
        # Candidate data of an unexpected shape lands here; a judge bug would too, and
        # validation (the solution must pass) is what keeps those out.
        log.info("judge %s.%s raised on candidate data", scenario.id, check_name, exc_info=True)
        return Verdict.fail("The pipeline's result does not have the expected shape.")
    if isinstance(verdict, bool):
        return Verdict.ok() if verdict else Verdict.fail("failed")
    if not isinstance(verdict, Verdict):
        raise ScenarioInvalid(f"{scenario.id}: check_{check_name}() returned {type(verdict)}")
    return verdict


async def grade_submission(
    scenario: Scenario,
    files: dict[str, str],
    *,
    seed: int | None = None,
    params: Mapping[str, Any] | None = None,
    public_only: bool = False,
    sandbox: Sandbox | None = None,
) -> GradingRecord:
    """Grade ``files`` (the candidate's versions of editable files; the rest comes from
    the workspace) against the variant of ``scenario`` with ``params`` (the attempt's
    parameters; None: ``scenario`` as passed, or variant 0 of a template).

    The judge's inputs come from a seed derived from the scenario's id, version and the
    variant's parameters, so the same submission always gets the same grade; ``seed`` is
    accepted for old callers and ignored.

    Raises ``SubmissionRejected`` for paths outside the editable list,
    ``GradingUnavailable`` when a sandbox cannot start after retries, and
    ``ScenarioInvalid`` when the reference itself fails; never for what the candidate's
    code does when it runs.
    """
    del seed
    graded = await grade_run(
        scenario, files, params=params, public_only=public_only, sandbox=sandbox
    )
    return graded.record


@dataclass(frozen=True)
class Graded:
    """A grading with the raw runs it judged, for validation and mutation testing."""

    record: GradingRecord
    candidate: RunOutcome
    reference: RunOutcome


def variant_of(scenario: Scenario, params: Mapping[str, Any] | None) -> Scenario:
    """The variant to grade: ``params`` applied, or variant 0 of a template."""
    if params is not None or scenario.is_template:
        return scenario.variant(params)
    return scenario


async def grade_run(
    scenario: Scenario,
    files: Mapping[str, str],
    *,
    params: Mapping[str, Any] | None = None,
    public_only: bool = False,
    sandbox: Sandbox | None = None,
    inputs_seed: int | None = None,
) -> Graded:
    """``grade_submission`` with the runs; ``inputs_seed`` overrides the derived seed
    (validation tries more seeds than the one candidates meet, never grading)."""
    started = time.perf_counter()
    scenario = variant_of(scenario, params)
    box = sandbox or default_sandbox()
    merged = _check_files(scenario, files)
    checks = scenario.public_checks if public_only else list(scenario.checks)
    steps = list(dict.fromkeys(c.step for c in checks))
    seed = (
        inputs_seed
        if inputs_seed is not None
        else derive_inputs_seed(scenario.id, scenario.version, scenario.params)
    )
    try:
        inputs = call_make_inputs(scenario.judge, seed, scenario.params)
        input_hash = _hash_json(inputs)
    except ScenarioInvalid:
        raise
    except Exception as exc:
        raise ScenarioInvalid(f"{scenario.id}: make_inputs({seed}) failed: {exc}") from exc

    reference_files = {**scenario.workspace_files, **scenario.solution_files}
    cache_key = (scenario.content_digest, input_hash, ",".join(steps), box.layer)
    reference = _cache_get(cache_key)
    reference_cached = reference is not None
    timings: dict[str, float] = {}

    async def timed(name: str, run: Callable[[], Awaitable[RunOutcome]]) -> RunOutcome:
        t0 = time.perf_counter()
        try:
            return await _run_started(run, name)
        finally:
            timings[f"{name}_seconds"] = round(time.perf_counter() - t0, 4)

    async def reference_run() -> RunOutcome:
        return await _run_once(box, scenario, reference_files, steps, inputs)

    async def candidate_run() -> RunOutcome:
        return await _run_once(box, scenario, merged, steps, inputs)

    try:
        async with asyncio.TaskGroup() as tg:
            cand_task = tg.create_task(timed("candidate", candidate_run))
            ref_task = None if reference else tg.create_task(timed("reference", reference_run))
    except BaseExceptionGroup as group:
        # One failure is all the caller needs; the TaskGroup already cancelled the other.
        raise group.exceptions[0] from None
    candidate = cand_task.result()
    if ref_task is not None:
        reference = ref_task.result()
        _check_reference(scenario, reference, steps)
        _cache_put(cache_key, reference)
    assert reference is not None

    results: list[CheckResult] = []
    cand_steps = candidate.ok_data()
    ref_steps = reference.ok_data()
    for check in checks:
        if candidate.tampered:
            verdict = Verdict.fail(TAMPERED_MESSAGE)
        else:
            problem = _step_message(candidate, check.step, scenario)
            if problem is not None:
                verdict = Verdict.fail(problem)
            else:
                cand_obs = Observed(cand_steps[check.step], candidate.output, cand_steps)
                ref_obs = Observed(ref_steps[check.step], reference.output, ref_steps)
                verdict = _judge_check(scenario, check.name, cand_obs, ref_obs, inputs)
        # A check is one requirement of the brief, and a requirement is met or not: its
        # points are earned only when every case of it is right. The judge's share of
        # cases right says how far off a fix is (in the message), never part of a point:
        # a fix that rolls back most bad canaries, or masks most of the PII, is wrong.
        # Partial credit is across checks.
        share = float(verdict.fraction)
        passed = not math.isnan(share) and share >= 1.0 - 1e-9
        results.append(
            CheckResult(
                name=check.name,
                points=check.points,
                earned=float(check.points) if passed else 0.0,
                passed=passed,
                message=verdict.message,
                public=check.public,
            )
        )
    earned = round(sum(r.earned for r in results), 4)
    possible = sum(c.points for c in checks)
    assert candidate.result is not None
    timings["total_seconds"] = round(time.perf_counter() - started, 4)
    record = GradingRecord(
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        grader_version=GRADER_VERSION,
        sandbox_layer=box.layer,
        seed=seed,
        input_hash=input_hash,
        candidate_output_hash=hashlib.sha256(candidate.result.channel).hexdigest(),
        checks=results,
        earned=earned,
        possible=possible,
        score=round(earned / possible, 6) if possible else 0.0,
        public_only=public_only,
        durations=timings,
        sandbox=dict(box.details),
        reference_cached=reference_cached,
        output_tail=candidate.output[-4000:],
        params=dict(scenario.params),
    )
    return Graded(record=record, candidate=candidate, reference=reference)


def _check_reference(scenario: Scenario, reference: RunOutcome, steps: list[str]) -> None:
    """The reference is known-good code: a step that timed out or never ran means the
    machine was in trouble (retry later); one that raised means the scenario is broken."""
    if reference.tampered or reference.probe_error is not None:
        detail = reference.probe_error or "bad channel"
        raise ScenarioInvalid(f"{scenario.id}: the reference run failed: {detail}")
    for step in steps:
        got = reference.steps.get(step)
        if got is None or got.get("status") == "timeout":
            raise GradingUnavailable(
                f"{scenario.id}: the reference run did not finish step {step!r}; retry later"
            )
        if got.get("status") != "ok":
            raise ScenarioInvalid(
                f"{scenario.id}: the reference fails step {step!r}: {got.get('error', got)}"
            )


async def validate_scenario_async(path: Path, sandbox: Sandbox | None = None) -> list[str]:
    """Every problem with one scenario folder (see ``app.grading.validation``)."""
    from app.grading.validation import validate_scenario_folder

    report = await validate_scenario_folder(path, sandbox=sandbox)
    return report.problems


def validate_scenario(path: Path) -> list[str]:
    """``validate_scenario_async`` for synchronous callers (CLI, content validation)."""
    return asyncio.run(validate_scenario_async(path))
