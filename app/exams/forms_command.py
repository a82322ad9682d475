"""`assay content forms`: the standard-setting view for authors recalibrating items.

Each exam's expected score for a minimally qualified candidate on the sampled forms
and the form balance table (both as `assay content validate` prints them), then the
difficulty estimates of every item file beside the pass marks of the exams that draw it. The scenarios are read for their
estimates, never run.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from pathlib import Path

from app.exams.content import load_bank
from app.exams.difficulty import ScenarioEstimate, expected_form_scores, expected_score_table
from app.exams.form_balance import BalanceCheck, balance_table, check_balance
from app.exams.forms import BALANCE_TOLERANCE
from app.grading.exceptions import ScenarioInvalid
from app.grading.scenarios import load_scenarios


def forms_listing(
    bank_root: Path, scenario_root: Path | None, *, balance_tolerance: float = BALANCE_TOLERANCE
) -> tuple[str, bool]:
    """The text to print, and whether any exam has a form off its pass mark.
    ``balance_tolerance`` is ASSAY_FORM_BALANCE_TOLERANCE, what forms are balanced to."""
    bank = load_bank(bank_root)
    lines = [str(p) for p in bank.problems]
    estimates: list[ScenarioEstimate] | None = None
    if scenario_root is not None and scenario_root.is_dir():
        with contextlib.suppress(ScenarioInvalid):
            scenarios = load_scenarios(scenario_root).values()
            estimates = [ScenarioEstimate(s.id, s.domain, s.level, s.difficulty) for s in scenarios]
    results = {}
    for code, spec in bank.blueprints.items():
        scores = expected_form_scores(spec, bank.items.values(), estimates or None)
        if scores is None:
            lines.append(f"{code}: the pools cannot fill a form")
        else:
            results[code] = scores
    lines.append(expected_score_table(results))
    balance: dict[str, BalanceCheck] = {}
    for code, spec in bank.blueprints.items():
        check = check_balance(
            spec, bank.items.values(), estimates or None, tolerance=balance_tolerance
        )
        if check is not None:
            balance[code] = check
    if balance:
        lines += ["", balance_table(balance)]
    marks: dict[str, set[float]] = defaultdict(set)
    for spec in bank.blueprints.values():
        for section in spec.sections:
            if section.kind == "mcq":
                for draw in section.draw:
                    marks[draw.level].add(spec.pass_mark)
    files: dict[Path, list[float]] = defaultdict(list)
    levels: dict[Path, str] = {}
    for item in bank.items.values():
        if item.status == "active":
            path = bank.locations[item.id][0]
            files[path].append(item.difficulty)
            levels[path] = item.level
    lines += [
        "",
        "Difficulty estimates per items file (pass marks of the exams that draw its level)",
        f"{'file':<34} {'items':>5} {'min':>6} {'mean':>6} {'max':>6}  pass marks",
    ]
    for path in sorted(files):
        values = files[path]
        label = "/".join(path.parts[-2:])
        passes = ", ".join(f"{100 * m:.0f}%" for m in sorted(marks[levels[path]])) or "-"
        lines.append(
            f"{label:<34} {len(values):>5} {min(values):>6.2f} "
            f"{sum(values) / len(values):>6.2f} {max(values):>6.2f}  {passes}"
        )
    failed = bool(bank.problems) or any(r.off_mark() for r in results.values())
    return "\n".join(lines), failed
