"""Content validation beyond the schema: rules about the bank as a whole.

Every rule adds ``Problem``s (file and line) and never stops the others, so an author
sees everything wrong in one run. The summary (items per domain and level, forms
available per exam, the wording-cue table and each exam's expected score per form) is
what `assay content validate` prints at the end.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.core.program import DOMAINS, LEVELS
from app.exams import markdown
from app.exams.content import Bank, BlueprintSpec, ItemSpec, Problem, load_bank
from app.exams.cues import CUE_MAX_GAIN_POINTS, CueItem, CueReport, analyse, cue_table, exam_pool
from app.exams.difficulty import (
    FORM_TOLERANCE,
    FormScores,
    ScenarioEstimate,
    expected_form_scores,
    expected_score_table,
)
from app.exams.form_balance import BalanceCheck, balance_table, check_balance, describe_failure
from app.exams.forms import BALANCE_TOLERANCE

NEAR_DUPLICATE_SIMILARITY = 0.8
# A file's keys may sit on one letter at most this much above an even share...
KEY_POSITION_TOLERANCE = 0.20
# Below this many single-answer items a file's key spread says nothing.
MIN_ITEMS_FOR_BALANCE = 8
_BANNED_OPTION = re.compile(r"\b(all|none|both|neither) of (the )?(above|these|them)\b", re.I)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class ValidationReport:
    bank: Bank
    problems: list[Problem] = field(default_factory=list)
    # exam code -> how many disjoint sets of items (and of scenarios) the pools can fill
    forms_available: dict[str, int] = field(default_factory=dict)
    scenario_forms: dict[str, int] = field(default_factory=dict)
    scenario_pool: dict[tuple[str, str], int] = field(default_factory=dict)
    scenario_ids: list[str] = field(default_factory=list)
    # One line per scenario validated: its verdict, mutation score and time.
    scenario_lines: list[str] = field(default_factory=list)
    # Every wording strategy on every item, and its mean per exam pool.
    cues: CueReport | None = None
    # exam code -> a minimally qualified candidate's expected score per sampled form
    form_scores: dict[str, FormScores] = field(default_factory=dict)
    scenario_estimates: Sequence[ScenarioEstimate] | None = None
    # exam code -> its sampled forms before and after balancing on the estimates
    balance: dict[str, BalanceCheck] = field(default_factory=dict)
    balance_tolerance: float = BALANCE_TOLERANCE
    root: Path = Path("?")


def validate_bank(
    root: Path,
    *,
    scenario_pool: dict[tuple[str, str], int] | None = None,
    scenarios: Sequence[ScenarioEstimate] | None = None,
    balance_tolerance: float = BALANCE_TOLERANCE,
) -> ValidationReport:
    """``scenario_pool`` counts scenarios by (domain, level) for scenario sections; without
    it, scenario sections are not checked for fill (the scenario validator owns them).
    ``scenarios`` gives their difficulty estimates for the expected score per form;
    without it, scenario sections count at the pass mark. ``balance_tolerance`` is
    ASSAY_FORM_BALANCE_TOLERANCE, what forms are balanced to."""
    bank = load_bank(root)
    report = ValidationReport(bank, list(bank.problems), scenario_pool=scenario_pool or {})
    report.scenario_estimates = scenarios
    report.balance_tolerance = balance_tolerance
    report.root = root
    rules: list[Callable[[ValidationReport], Iterable[Problem]]] = [
        _banned_options,
        _duplicate_stems,
        _key_positions,
        _blueprint_references,
        _blueprint_fill,
        _wording_cues,
        _form_difficulty,
        _form_balance,
        _markdown,
    ]
    for rule in rules:
        report.problems.extend(rule(report))
    return report


def _where(bank: Bank, key: str) -> tuple[Path, int]:
    return bank.locations.get(key, (Path("?"), 0))


def _banned_options(report: ValidationReport) -> Iterable[Problem]:
    for item in report.bank.items.values():
        for option in item.options:
            if _BANNED_OPTION.search(option.text):
                path, line = _where(report.bank, item.id)
                yield Problem(
                    path, line, f"{item.id}: option {option.id} is an 'all/none of the above'"
                )


def _markdown(report: ValidationReport) -> Iterable[Problem]:
    """Stems and options are Markdown rendered in safe mode: text that would not render
    as its author meant is refused here, not shown to a candidate."""
    for item in report.bank.items.values():
        texts = [("stem", item.stem)] + [(f"option {o.id}", o.text) for o in item.options]
        for where, text in texts:
            for problem in markdown.problems(text):
                path, line = _where(report.bank, item.id)
                yield Problem(path, line, f"{item.id}: {where}: {problem}")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _duplicate_stems(report: ValidationReport) -> Iterable[Problem]:
    items = sorted(report.bank.items.values(), key=lambda i: i.id)
    words = {i.id: _words(i.stem) for i in items}
    for index, first in enumerate(items):
        for second in items[index + 1 :]:
            a, b = words[first.id], words[second.id]
            if not a or not b:
                continue
            similarity = len(a & b) / len(a | b)
            if similarity >= NEAR_DUPLICATE_SIMILARITY:
                path, line = _where(report.bank, second.id)
                kind = (
                    "duplicate" if first.stem.strip() == second.stem.strip() else "near-duplicate"
                )
                yield Problem(
                    path,
                    line,
                    f"{second.id}: stem is a {kind} of {first.id} ({similarity:.0%} same words)",
                )


def _by_file(bank: Bank) -> dict[Path, list[ItemSpec]]:
    files: dict[Path, list[ItemSpec]] = defaultdict(list)
    for item in bank.items.values():
        files[_where(bank, item.id)[0]].append(item)
    return files


def _key_positions(report: ValidationReport) -> Iterable[Problem]:
    for path, items in sorted(_by_file(report.bank).items()):
        singles = [i for i in items if i.type == "single"]
        if len(singles) < MIN_ITEMS_FOR_BALANCE:
            continue
        counts = Counter(i.key[0] for i in singles)
        letters = sorted({o.id for i in singles for o in i.options})
        # Expected share of each letter given how many items have 4 or 5 options.
        expected = {
            letter: sum(1 / len(i.options) for i in singles if len(i.options) > ord(letter) - 97)
            for letter in letters
        }
        for letter in letters:
            share = counts.get(letter, 0) / len(singles)
            even = expected[letter] / len(singles)
            if share > even + KEY_POSITION_TOLERANCE or share < even - KEY_POSITION_TOLERANCE:
                spread = ", ".join(f"{k}={counts.get(k, 0)}" for k in letters)
                yield Problem(path, 1, f"keys are not balanced over positions ({spread})")
                break


def _blueprint_references(report: ValidationReport) -> Iterable[Problem]:
    codes = set(report.bank.blueprints)
    for spec in report.bank.blueprints.values():
        path, line = _where(report.bank, spec.code)
        for code in spec.prerequisites:
            if code not in codes:
                yield Problem(path, line, f"{spec.code}: prerequisite {code} is not an exam")
        if spec.renews is not None and spec.renews not in codes:
            yield Problem(path, line, f"{spec.code}: renews {spec.renews}, which is not an exam")


def _demand(spec: BlueprintSpec, kind: str) -> Counter[tuple[str, str]]:
    demand: Counter[tuple[str, str]] = Counter()
    for section in spec.sections:
        if section.kind == kind:
            for draw in section.draw:
                demand[(draw.domain or "*", draw.level)] += draw.count
    return demand


def _supply(pool: Counter[tuple[str, str]], domain: str, level: str) -> int:
    if domain == "*":
        return sum(n for (_, lvl), n in pool.items() if lvl == level)
    return pool[(domain, level)]


def _blueprint_fill(report: ValidationReport) -> Iterable[Problem]:
    item_pool: Counter[tuple[str, str]] = Counter(
        (str(i.domain), str(i.level)) for i in report.bank.items.values() if i.status == "active"
    )
    scenario_pool = Counter(report.scenario_pool)
    for spec in report.bank.blueprints.values():
        path, line = _where(report.bank, spec.code)
        for kind, pool, forms_by_exam in (
            ("mcq", item_pool, report.forms_available),
            ("scenario", scenario_pool, report.scenario_forms),
        ):
            demand = _demand(spec, kind)
            if not demand or (kind == "scenario" and not report.scenario_pool):
                continue
            forms = []
            for (domain, level), wanted in demand.items():
                have = _supply(pool, domain, level)
                forms.append(have // wanted)
                if have < wanted:
                    yield Problem(
                        path,
                        line,
                        f"{spec.code}: needs {wanted} {kind} {domain}/{level}, pool has {have}",
                    )
            forms_by_exam[spec.code] = min(forms)


def exam_pools(bank: Bank) -> dict[str, list[str]]:
    """Each exam's multiple-choice pool, exams in level order."""
    order = sorted(bank.blueprints.values(), key=lambda b: (LEVELS.index(b.level), b.code))
    return {spec.code: exam_pool(spec, bank.items.values()) for spec in order}


def _wording_cues(report: ValidationReport) -> Iterable[Problem]:
    bank = report.bank
    items = [CueItem.from_spec(i) for i in bank.items.values() if i.status == "active"]
    if not items:
        return
    report.cues = cues = analyse(items, exam_pools(bank))
    where: list[tuple[str, Path, int, list[str]]] = [("the bank", report.root / "items", 0, [])]
    for label, ids in cues.pools.items():
        path, line = _where(bank, label)
        exams = " and ".join(cues.exams[label])
        where.append((f"the pool of {exams}", path, line, ids))
    all_ids = sorted(cues.chance)
    for strategy in cues.strategies:
        for name, path, line, ids in where:
            result = cues.result(strategy, ids or all_ids)
            if result.gain_points > CUE_MAX_GAIN_POINTS:
                yield Problem(
                    path,
                    line,
                    f"wording cue: '{strategy}' scores {100 * result.score:.1f}% on "
                    f"{name} ({len(ids or all_ids)} items) against {100 * result.chance:.1f}% "
                    f"for blind guessing (+{result.gain_points:.1f} points, at most "
                    f"+{CUE_MAX_GAIN_POINTS:.0f}); it finds the key more often than guessing "
                    f"in {result.hits} items, most in {', '.join(result.telling)}",
                )


def _form_difficulty(report: ValidationReport) -> Iterable[Problem]:
    bank = report.bank
    for code, spec in sorted(bank.blueprints.items()):
        scores = expected_form_scores(spec, bank.items.values(), report.scenario_estimates)
        if scores is None:
            continue
        report.form_scores[code] = scores
        off = scores.off_mark()
        if off:
            worst = max(off, key=lambda seed: abs(scores.scores[seed] - spec.pass_mark))
            path, line = _where(bank, code)
            yield Problem(
                path,
                line,
                f"{code}: a minimally qualified candidate's expected score is "
                f"{100 * scores.low:.1f}-{100 * scores.high:.1f}% (mean {100 * scores.mean:.1f}%) "
                f"over {len(scores.scores)} forms; {len(off)} of them differ from the pass mark "
                f"{100 * spec.pass_mark:.0f}% by more than {100 * FORM_TOLERANCE:.0f} points "
                f"(worst: form seed {worst}, {100 * scores.scores[worst]:.1f}%); "
                f"recalibrate item difficulty or the pools",
            )


def _form_balance(report: ValidationReport) -> Iterable[Problem]:
    bank = report.bank
    for code, spec in sorted(bank.blueprints.items()):
        check = check_balance(
            spec,
            bank.items.values(),
            report.scenario_estimates,
            tolerance=report.balance_tolerance,
        )
        if check is None:
            continue
        report.balance[code] = check
        if check.off:
            path, line = _where(bank, code)
            yield Problem(path, line, describe_failure(check))


def summary_table(report: ValidationReport) -> str:
    bank = report.bank
    counts: Counter[tuple[str, str]] = Counter(
        (str(i.domain), str(i.level)) for i in bank.items.values() if i.status == "active"
    )
    header = f"{'domain':<12}" + "".join(f"{lvl:>14}" for lvl in LEVELS) + f"{'total':>8}"
    lines = ["Items per domain and level (active)", header, "-" * len(header)]
    for domain in DOMAINS:
        row = [counts[(domain, lvl)] for lvl in LEVELS]
        lines.append(f"{domain:<12}" + "".join(f"{n:>14}" for n in row) + f"{sum(row):>8}")
    totals = [sum(counts[(d, lvl)] for d in DOMAINS) for lvl in LEVELS]
    lines.append(f"{'total':<12}" + "".join(f"{n:>14}" for n in totals) + f"{sum(totals):>8}")
    lines += [
        "",
        "Forms available per exam (disjoint sets of items, and of scenarios, the pools fill)",
    ]
    for code in sorted(bank.blueprints):
        spec = bank.blueprints[code]
        scenarios = report.scenario_forms.get(code)
        lines.append(
            f"{code:<28} {spec.level:<13} pass {spec.pass_mark:.0%}  "
            f"forms {report.forms_available.get(code, 0)}"
            + (f"  scenario sets {scenarios}" if scenarios is not None else "")
        )
    if report.cues is not None:
        lines += ["", cue_table(report.cues)]
    if report.form_scores:
        lines += ["", expected_score_table(report.form_scores)]
    if report.balance:
        lines += ["", balance_table(report.balance)]
    return "\n".join(lines)
