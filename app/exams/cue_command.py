"""`assay content cues`: the wording-cue table for authors at work on some files.

The strategies are run on the whole bank (the classifier needs it to train on), and
the table gets one more column for the items under the path the author names, then a
line per item listing the strategies that find its key more often than guessing would.
"""

from __future__ import annotations

from pathlib import Path

from app.exams.content import load_bank
from app.exams.cues import CUE_MAX_GAIN_POINTS, CueItem, analyse, cue_table
from app.exams.validation import exam_pools


def cue_listing(bank_root: Path, path: Path | None) -> tuple[str, bool]:
    """The text to print, and whether any column has a strategy over the limit."""
    bank = load_bank(bank_root)
    lines = [str(p) for p in bank.problems]
    items = [CueItem.from_spec(i) for i in bank.items.values() if i.status == "active"]
    if not items:
        return "\n".join([*lines, f"{bank_root}: no active items"]), True
    report = analyse(items, exam_pools(bank))
    selected: list[str] = []
    if path is not None:
        target = path.resolve()
        selected = sorted(
            item.id
            for item in items
            if (where := bank.locations[item.id][0].resolve()) == target or target in where.parents
        )
        if not selected:
            return "\n".join([*lines, f"{path}: no active items of {bank_root} here"]), True
        report.pools = {"these items": selected, **report.pools}
        lines.append(f"these items: the {len(selected)} active items under {path}")
    lines.append(cue_table(report))
    failed = any(
        report.result(strategy, ids).gain_points > CUE_MAX_GAIN_POINTS
        for strategy in report.strategies
        for ids in [sorted(report.chance), *report.pools.values()]
    )
    if selected:
        lines += ["", f"Strategies that find the key more often than guessing, per item of {path}"]
        width = max(len(i) for i in selected)
        for item_id in sorted(selected, key=lambda i: (-len(report.item_strategies(i)), i)):
            found = report.item_strategies(item_id)
            lines.append(f"{item_id:<{width}}  {len(found):>2}  {', '.join(found) or '-'}")
    return "\n".join(lines), failed
