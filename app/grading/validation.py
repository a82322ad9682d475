"""Is a scenario fit to ship? Every check is run through the real grading path.

For each variant tried (variant 0, 1 and 2 of a scenario with parameters; the one
scenario otherwise):

- the reference solution scores 100% on the seed candidates meet and on extra seeds;
- the workspace as given does not;
- every cheap fix the author lists fails (and fails the checks it names) on every seed
  tried, so a fix that only an unlucky seed catches is found here, not by a candidate.

Then the judges themselves are tested: mutants of the reference (``app.grading.mutation``)
must each fail the hidden checks on every seed tried, unless they behave exactly like the
reference there (equivalent) or ``scenario.yaml`` accepts them with a reason.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.exams import service as exams_service
from app.grading.exceptions import ScenarioInvalid, SubmissionRejected
from app.grading.grader import GradingRecord, default_sandbox, grade_run
from app.grading.sandbox import Sandbox
from app.grading.scenarios import Scenario, ScenarioFormatError, load_scenario
from app.grading.variants import inputs_seed, validation_seeds

# Seeds tried per variant: the one candidates meet plus extras.
SEEDS_PER_VARIANT = 3
VARIANTS_TRIED = 3
# More seeds tried on a mutant that behaved like the reference on the ones above, before
# it is called equivalent.
EQUIVALENCE_SEEDS = 5


@dataclass
class ScenarioReport:
    scenario_id: str
    problems: list[str] = field(default_factory=list)
    # None when mutation testing did not run (format problems, a failing reference).
    mutation: Any = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        """One line for a terminal: verdict, id, mutation score, time."""
        mutation = self.mutation.summary() if self.mutation is not None else "mutation not run"
        return f"{'ok  ' if self.ok else 'FAIL'} {self.scenario_id:<28} {mutation}; {self.seconds:.1f} s"


def validate_folders(folders: list[Path]) -> list[tuple[Path, ScenarioReport]]:
    """Validate scenario folders one after the other (each runs its own mutants
    concurrently through the sandbox's slots), for synchronous callers."""
    if not folders:
        return []

    async def run() -> list[tuple[Path, ScenarioReport]]:
        box = default_sandbox()
        return [(folder, await validate_scenario_folder(folder, box)) for folder in folders]

    return asyncio.run(run())


def variants_to_try(scenario: Scenario) -> list[Scenario]:
    """Distinct variants from variant seeds 0, 1, 2, ...; just the scenario without
    parameters."""
    if not scenario.parameters:
        return [scenario]
    seen: list[Scenario] = []
    for variant_seed in range(VARIANTS_TRIED * 4):
        v = scenario.variant(scenario.draw_params(variant_seed))
        if all(v.params != s.params for s in seen):
            seen.append(v)
        if len(seen) == VARIANTS_TRIED:
            break
    return seen


def _failing(record: GradingRecord) -> str:
    return "; ".join(f"{c.name} ({c.message})" for c in record.checks if not c.passed)


def _label(v: Scenario) -> str:
    return f" (variant {v.params})" if v.params else ""


def static_problems(scenario: Scenario) -> list[str]:
    problems: list[str] = []
    judge = scenario.judge
    make_inputs = getattr(judge, "make_inputs", None)
    if not callable(make_inputs):
        problems.append(f"{scenario.id}: checks/judge.py has no make_inputs(seed, params)")
    elif scenario.parameters:
        try:
            takes_params = len(inspect.signature(make_inputs).parameters) >= 2
        except (TypeError, ValueError):
            takes_params = False
        if not takes_params:
            problems.append(
                f"{scenario.id}: a scenario with parameters needs make_inputs(seed, params)"
            )
    for check in scenario.checks:
        if not callable(getattr(judge, f"check_{check.name}", None)):
            problems.append(f"{scenario.id}: checks/judge.py has no check_{check.name}()")
    problems += [
        f"{scenario.id}: brief: {p}" for p in exams_service.markdown_problems(scenario.brief)
    ]
    return problems


async def validate_scenario_folder(
    path: Path, sandbox: Sandbox | None = None, *, mutation: bool = True
) -> ScenarioReport:
    """Every problem with one scenario folder; no problems means fit to ship."""
    started = time.perf_counter()
    try:
        scenario = load_scenario(path)
    except ScenarioFormatError as exc:
        return ScenarioReport(path.name, [f"{path.name}: {p}" for p in exc.problems])
    report = ScenarioReport(scenario.id)
    try:
        report.problems += static_problems(scenario)
    except ScenarioInvalid as exc:
        report.problems.append(exc.message)
    if report.problems:
        return report
    box = sandbox or default_sandbox()
    try:
        variants = variants_to_try(scenario)
        for v in variants:
            report.problems += await _behaviour_problems(v, box)
        if mutation and not report.problems:
            from app.grading.mutation import mutation_test

            first = variants[0]
            seeds = validation_seeds(
                inputs_seed(first.id, first.version, first.params),
                SEEDS_PER_VARIANT + EQUIVALENCE_SEEDS,
            )
            report.mutation = await mutation_test(
                first, box, seeds[:SEEDS_PER_VARIANT], seeds[SEEDS_PER_VARIANT:]
            )
            report.problems += report.mutation.problems()
    except (ScenarioInvalid, SubmissionRejected) as exc:
        report.problems.append(f"{scenario.id}: {exc.message}")
    report.seconds = round(time.perf_counter() - started, 2)
    return report


async def _behaviour_problems(v: Scenario, box: Sandbox) -> list[str]:
    problems: list[str] = []
    seeds = validation_seeds(inputs_seed(v.id, v.version, v.params), SEEDS_PER_VARIANT)
    label = _label(v)
    for seed in seeds:
        graded = await grade_run(v, v.solution_files, sandbox=box, inputs_seed=seed)
        if graded.record.score < 1.0:
            problems.append(
                f"{v.id}: the solution fails on seed {seed}{label}: {_failing(graded.record)}"
            )
    as_given = await grade_run(v, {}, sandbox=box)
    if as_given.record.score >= 1.0:
        problems.append(f"{v.id}: the workspace as given passes every check{label}")
    for fix in v.cheap_fixes:
        for seed in seeds:
            record = (await grade_run(v, fix.files, sandbox=box, inputs_seed=seed)).record
            if record.score >= 1.0:
                problems.append(
                    f"{v.id}: cheap fix {fix.name!r} passes every check on seed {seed}{label}"
                )
            passed = {c.name for c in record.checks if c.passed}
            for name in fix.fails:
                if name in passed:
                    problems.append(
                        f"{v.id}: cheap fix {fix.name!r} passes {name} on seed {seed}{label}"
                    )
    return problems
