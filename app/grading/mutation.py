"""Mutation testing of a scenario's judges, through the real grading path.

Every mutant of the reference (``app.grading.mutants``) is graded like a submission, in
the same sandbox, on each seed validation tries (the one candidates meet first). Then:

- **equivalent**: on every seed (and on a few more tried for this only), every probe
  step returned what the reference's did and the run printed the same: no judge could
  tell, so it does not count;
- **killed**: it scores below 100% on every seed;
- **survived**: it behaves differently somewhere, yet scores 100% on at least one seed:
  either the checks miss the fault or only some seeds' extra cases catch it (then the
  case belongs in the battery). A survivor fails validation unless ``scenario.yaml``
  lists it under ``accepted_mutants`` with a reason; it then counts as ``accepted``.

The mutation score is killed / (killed + survived): accepted mutants are shown apart.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from app.grading.grader import RunOutcome, grade_run
from app.grading.judging import close
from app.grading.mutants import Mutant, generate
from app.grading.sandbox import Sandbox
from app.grading.scenarios import Scenario

MAX_CONCURRENT = 4


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    # killed | survived | accepted | equivalent
    status: str
    # Seeds on which it scored 100% while behaving differently from the reference.
    surviving_seeds: tuple[int, ...] = ()
    reason: str = ""


@dataclass
class MutationReport:
    scenario_id: str
    results: list[MutantResult] = field(default_factory=list)
    generated: int = 0
    seeds: tuple[int, ...] = ()
    seconds: float = 0.0
    stale_accepted: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def non_equivalent(self) -> int:
        return len(self.results) - self.count("equivalent")

    @property
    def score(self) -> float:
        """Killed share of the non-equivalent mutants not accepted by the author (1.0 when
        there are none): below 1.0 fails validation."""
        total = self.count("killed") + self.count("survived")
        return self.count("killed") / total if total else 1.0

    def summary(self) -> str:
        return (
            f"mutation {self.score:.0%}: {self.count('killed')} killed, "
            f"{self.count('survived')} survived, {self.count('accepted')} accepted, "
            f"{self.count('equivalent')} equivalent of {len(self.results)} run "
            f"({self.generated} generated), {self.seconds:.1f} s"
        )

    def problems(self) -> list[str]:
        out = [
            f"{self.scenario_id}: mutant {r.mutant.id} survives the hidden checks "
            f"on seed(s) {', '.join(map(str, r.surviving_seeds))} ({r.mutant.description})"
            for r in self.results
            if r.status == "survived"
        ]
        out += [
            f"{self.scenario_id}: accepted mutant {m} is no longer generated (remove it)"
            for m in self.stale_accepted
        ]
        return out


def _same_behaviour(cand: RunOutcome, ref: RunOutcome) -> bool:
    if cand.tampered or cand.probe_error != ref.probe_error or cand.output != ref.output:
        return False
    if cand.steps.keys() != ref.steps.keys():
        return False
    for name, got in cand.steps.items():
        want = ref.steps[name]
        if got.get("status") != want.get("status"):
            return False
        if not close(got.get("data"), want.get("data"), tol=1e-12):
            return False
    return True


async def _run_mutant(
    scenario: Scenario,
    mutant: Mutant,
    seeds: tuple[int, ...],
    more_seeds: tuple[int, ...],
    box: Sandbox,
) -> tuple[bool, tuple[int, ...]]:
    """(equivalent on every seed, seeds where it passed while behaving differently).

    A mutant that behaves like the reference on ``seeds`` is tried on ``more_seeds``
    before it is called equivalent: if some other seed's inputs tell it apart, the
    seeds where it passed are seeds whose battery misses it."""
    # The whole reference with one file mutated: a mutant of one file submitted alone
    # would put the workspace's other files back and be "killed" by their bugs.
    files = {**scenario.solution_files, mutant.path: mutant.source}
    equivalent = True
    passed_on: list[int] = []
    for seed in seeds:
        graded = await grade_run(scenario, files, sandbox=box, inputs_seed=seed)
        same = _same_behaviour(graded.candidate, graded.reference)
        equivalent = equivalent and same
        if graded.record.score >= 1.0:
            passed_on.append(seed)
        if not equivalent and passed_on:
            return False, tuple(passed_on)  # already a survivor
    if not equivalent:
        return False, ()
    for seed in more_seeds:
        graded = await grade_run(scenario, files, sandbox=box, inputs_seed=seed)
        if not _same_behaviour(graded.candidate, graded.reference):
            return False, tuple(passed_on)
    return True, ()


async def mutation_test(
    scenario: Scenario,
    box: Sandbox,
    seeds: list[int],
    more_seeds: list[int] | None = None,
    *,
    concurrency: int = MAX_CONCURRENT,
) -> MutationReport:
    """Run the chosen mutants of ``scenario``'s reference (a variant, rendered) on
    ``seeds``; ``more_seeds`` only decide whether a mutant is really equivalent."""
    started = time.perf_counter()
    every, chosen = generate(scenario.solution_files, scenario.workspace_files)
    accepted = {m.id: m.reason for m in scenario.accepted_mutants}
    known = {m.id for m in every}
    report = MutationReport(
        scenario_id=scenario.id,
        generated=len(every),
        seeds=tuple(seeds),
        stale_accepted=sorted(set(accepted) - known),
    )
    gate = asyncio.Semaphore(concurrency)

    async def one(mutant: Mutant) -> MutantResult:
        async with gate:
            equivalent, surviving = await _run_mutant(
                scenario, mutant, tuple(seeds), tuple(more_seeds or ()), box
            )
        if equivalent:
            return MutantResult(mutant, "equivalent")
        if not surviving:
            return MutantResult(mutant, "killed")
        if mutant.id in accepted:
            return MutantResult(mutant, "accepted", surviving, accepted[mutant.id])
        return MutantResult(mutant, "survived", surviving)

    report.results = list(await asyncio.gather(*(one(m) for m in chosen)))
    report.seconds = round(time.perf_counter() - started, 2)
    return report
