"""How long the content checks take: the cue analysis and the forms check in CI.

    python bench/content_validate.py [--repeat 3] [--items 400]

Times, on the question bank in the checkout: loading it, the wording-cue analysis
(every surface strategy and the classifier), the expected score on every exam's sampled
forms, the form-balance check (200 forms of every exam assembled and balanced as starts
do, on the authors' estimates), and the whole `validate_bank` (which adds the O(n^2)
near-duplicate rule). Then the cue analysis alone on a bank grown to ``--items`` by copies of real items under new
ids (options rotated, so the copies are not the originals). Medians of ``--repeat`` runs,
wall clock and process CPU time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Runnable as `python bench/content_validate.py` from a checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.exams.content import load_bank
from app.exams.cues import CueItem, analyse
from app.exams.difficulty import expected_form_scores
from app.exams.form_balance import check_balance
from app.exams.validation import exam_pools, validate_bank

BANK = Path(__file__).resolve().parents[1] / "question_bank"


def _median(repeat: int, run: Callable[[], object]) -> tuple[float, float]:
    """Median wall and CPU seconds (CPU time says more on a shared, loaded machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--items", type=int, default=400)
    args = parser.parse_args()
    bank = load_bank(BANK)
    items = [CueItem.from_spec(i) for i in bank.items.values() if i.status == "active"]
    pools = exam_pools(bank)
    grown = list(items)
    copy = 0
    while len(grown) < args.items:
        base = items[copy % len(items)]
        shift = 1 + copy % (len(base.options) - 1)
        n = len(base.options)
        grown.append(
            CueItem(
                f"{base.id}-copy{copy}",
                base.stem,
                base.options[shift:] + base.options[:shift],
                frozenset((k - shift) % n for k in base.key),
            )
        )
        copy += 1
    figures = {
        "load the bank": _median(args.repeat, lambda: load_bank(BANK)),
        f"cue analysis, {len(items)} items": _median(args.repeat, lambda: analyse(items, pools)),
        f"cue analysis, {len(grown)} items": _median(args.repeat, lambda: analyse(grown, pools)),
        "expected score, every exam": _median(
            args.repeat,
            lambda: [
                expected_form_scores(s, bank.items.values()) for s in bank.blueprints.values()
            ],
        ),
        "form balance, every exam": _median(
            args.repeat,
            lambda: [check_balance(s, bank.items.values()) for s in bank.blueprints.values()],
        ),
        "validate_bank, whole": _median(args.repeat, lambda: validate_bank(BANK)),
    }
    print(f"{'':<32} {'wall':>7} {'cpu':>7}")
    for name, (wall, cpu) in figures.items():
        print(f"{name:<32} {wall:6.2f}s {cpu:6.2f}s")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
