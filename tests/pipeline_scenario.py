"""A scenario whose pipeline prints something, for the tests of pipeline runs (API and
browser): ``run.py --day tuesday`` prints the day and ``summary()`` of three numbers to
stdout and a warning to stderr; the candidate edits ``pipeline.py``."""

from __future__ import annotations

from pathlib import Path

RUN_PY = '''"""Summarise the day's orders: python run.py --day DAY"""

import sys

from pipeline import summary

day = sys.argv[sys.argv.index("--day") + 1]
print(f"day={day} total={summary([3, 4, 5])}")
print("warning: 2 rows skipped", file=sys.stderr)
'''

PIPELINE = "def summary(values):\n    return sum(values)\n"

YAML = """
id: order-summary
version: 1
title: The daily order summary is off by the skipped rows
level: professional
domain: data
time_hint_minutes: 10
max_public_runs: 3
max_pipeline_runs: 3
entry: [run.py, --day, tuesday]
brief: |
  The daily summary disagrees with the ledger. Run the pipeline, read its output and
  fix `summary()` in `pipeline.py`.
editable: [pipeline.py]
limits: {step_seconds: 2, run_seconds: 4}
checks:
  - {name: sums, points: 1, public: true, description: summary() adds the values it is given.}
  - {name: sums_more, points: 1, description: summary() adds the values of other inputs too.}
cheap_fixes:
  - {name: return nothing at all, path: cheap/nothing}
"""

PROBE = """
def step_sums(inputs):
    import pipeline
    return pipeline.summary(inputs["xs"])


def step_sums_more(inputs):
    import pipeline
    return pipeline.summary(inputs["xs"][:2])
"""

JUDGE = """
import random


def make_inputs(seed):
    return {"xs": [random.Random(seed).randint(0, 9) for _ in range(4)]}


def check_sums(cand, ref, inputs):
    return cand.data == ref.data


def check_sums_more(cand, ref, inputs):
    return cand.data == ref.data
"""


def write_order_summary(root: Path) -> Path:
    """Writes the scenario under ``root`` (a folder of scenarios) and returns ``root``."""
    path = root / "order-summary"
    for sub in ("workspace", "solution", "checks", "cheap/nothing"):
        (path / sub).mkdir(parents=True)
    (path / "scenario.yaml").write_text(YAML)
    (path / "workspace" / "run.py").write_text(RUN_PY)
    (path / "workspace" / "pipeline.py").write_text(PIPELINE)
    (path / "solution" / "pipeline.py").write_text(PIPELINE)
    (path / "cheap" / "nothing" / "pipeline.py").write_text("def summary(values):\n    return 0\n")
    (path / "checks" / "probe.py").write_text(PROBE)
    (path / "checks" / "judge.py").write_text(JUDGE)
    return root
