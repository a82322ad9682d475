"""The spread of expected form difficulty before and after balancing.

    python bench/form_balance.py [--forms 1000]

For every exam of the question bank in the checkout (and the scenarios folder), 1,000
forms are assembled with seeds 0..999 as a start draws them (exposure counters
advancing as the forms are handed out), once plainly and once balanced, and each
form's expected score is computed from each unit's value. Two sets of values:

- ``estimates``: the authors' difficulty estimates in the bank (what balancing uses
  before items have responses);
- ``facility``: a simulated facility per item (seeded, spread 0.30-0.95, the range
  real item statistics show), standing in for items with enough responses.

Reported per exam: the target (the mean expected score of a random form), the standard
deviation, min, max and spread (max - min) of the forms' expected scores, the share of
forms within the tolerance of the target, and the assembly time per form.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.exams.content import BlueprintSpec, load_bank
from app.exams.forms import BALANCE_TOLERANCE, Balance, PoolEntry, assemble_form
from app.grading.exceptions import ScenarioInvalid
from app.grading.scenarios import load_scenarios

ROOT = Path(__file__).resolve().parents[1]


def form_score(spec: BlueprintSpec, form: list, values: dict[str, float]) -> float:  # type: ignore[type-arg]
    per_section: dict[int, list[float]] = {}
    for slot in form:
        per_section.setdefault(slot.section, []).append(values[slot.ref_id])
    total = sum(s.weight for s in spec.sections)
    return (
        sum(
            s.weight * sum(per_section[i]) / len(per_section[i])
            for i, s in enumerate(spec.sections)
        )
        / total
    )


def run(
    spec: BlueprintSpec, pool: list[PoolEntry], values: dict[str, float], forms: int, balanced: bool
) -> dict[str, float]:
    exposure: Counter[str] = Counter()
    balance = Balance(values) if balanced else None
    scores = []
    start = time.perf_counter()
    for seed in range(forms):
        form = assemble_form(spec, pool, seed, exposure=exposure, balance=balance)
        exposure.update(slot.ref_id for slot in form)
        scores.append(form_score(spec, form, values))
    elapsed = time.perf_counter() - start
    shown = [exposure[e.ref_id] for e in pool if exposure[e.ref_id]]
    return {
        "mean": statistics.fmean(scores),
        "sd": statistics.pstdev(scores),
        "min": min(scores),
        "max": max(scores),
        "spread": max(scores) - min(scores),
        "exposure_max": max(shown),
        "us_per_form": 1e6 * elapsed / forms,
        "scores": scores,  # type: ignore[dict-item]
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--forms", type=int, default=1000)
    args = parser.parse_args()
    bank = load_bank(ROOT / "question_bank")
    scenarios = {}
    with contextlib.suppress(ScenarioInvalid):
        scenarios = load_scenarios(ROOT / "scenarios")
    rng = random.Random(20261206)
    estimates: dict[str, float] = {}
    facility: dict[str, float] = {}
    pool: list[PoolEntry] = []
    for item in bank.items.values():
        if item.status == "active":
            pool.append(PoolEntry(item.id, "mcq", item.domain, item.level))
            estimates[item.id] = item.difficulty
            facility[item.id] = rng.uniform(0.30, 0.95)
    for scenario in scenarios.values():
        pool.append(PoolEntry(scenario.id, "scenario", scenario.domain, scenario.level))
        value = scenario.difficulty if scenario.difficulty is not None else 0.7
        estimates[scenario.id] = value
        facility[scenario.id] = rng.uniform(0.30, 0.95)
    out: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    print(f"{args.forms} forms per exam; tolerance {BALANCE_TOLERANCE:.2f}")
    print(
        f"{'exam':<30} {'values':<10} {'target':>6} | {'plain sd':>8} {'spread':>6} {'in tol':>6}"
        f" | {'bal. sd':>7} {'spread':>6} {'in tol':>6} | {'us/form plain, bal.':>19}"
    )
    for code, spec in sorted(bank.blueprints.items()):
        out[code] = {}
        for name, values in (("estimates", estimates), ("facility", facility)):
            plain = run(spec, pool, values, args.forms, False)
            balanced = run(spec, pool, values, args.forms, True)
            target = plain["mean"]
            for r in (plain, balanced):
                within = [s for s in r.pop("scores") if abs(s - target) <= BALANCE_TOLERANCE + 1e-9]  # type: ignore[union-attr]
                r["within"] = len(within) / args.forms
            out[code][name] = {"plain": plain, "balanced": balanced}
            print(
                f"{code:<30} {name:<10} {100 * target:>5.1f}% | {100 * plain['sd']:>7.2f}p "
                f"{100 * plain['spread']:>5.1f}p {100 * plain['within']:>5.1f}% | "
                f"{100 * balanced['sd']:>6.2f}p {100 * balanced['spread']:>5.1f}p "
                f"{100 * balanced['within']:>5.1f}% | {plain['us_per_form']:>8.0f} {balanced['us_per_form']:>9.0f}"
            )
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "form_balance.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
