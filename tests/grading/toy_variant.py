"""A small scenario with parameters (a column and a limit), written to a folder for
tests of variants: the workspace reads the wrong column and alerts at the limit; its
``run.py`` prints the variant's column and limit."""

from __future__ import annotations

import textwrap
from pathlib import Path

SCENARIO_YAML = """
id: toy-variant
version: 1
title: Alerts read the wrong column
level: professional
domain: monitoring
time_hint_minutes: 10
max_public_runs: 5
brief: |
  The queue alert pages for the wrong hosts. Rows carry several counters; the alert is
  on `{{ column }}` and fires strictly above {{ limit }}.
editable: [alerts.py]
checks:
  - name: alerts_match
    points: 2
    public: true
    description: The alert fires for exactly the rows above the limit.
  - name: boundary
    points: 1
    description: A row exactly on the limit does not fire.
cheap_fixes:
  - name: alert on everything
    path: cheap/everything
    fails: [alerts_match]
parameters:
  column: {choices: [latency_ms, error_count, queue_depth]}
  limit: {min: 5, max: 50, step: 5}
"""

WORKSPACE = """
COLUMN = "{{ column }}"
LIMIT = {{ limit }}


def alerts(rows):
    return [r["id"] for r in rows if r.get("value", 0) >= LIMIT]
"""

SOLUTION = """
COLUMN = "{{ column }}"
LIMIT = {{ limit }}


def alerts(rows):
    return [r["id"] for r in rows if r[COLUMN] > LIMIT]
"""

RUN = """
import alerts

print(f"alert on {alerts.COLUMN} above {alerts.LIMIT}")
"""

CHEAP = """
COLUMN = "{{ column }}"
LIMIT = {{ limit }}


def alerts(rows):
    return [r["id"] for r in rows]
"""

PROBE = """
def step_alerts_match(inputs):
    import alerts
    return alerts.alerts(inputs["rows"])


def step_boundary(inputs):
    import alerts
    return alerts.alerts(inputs["edge"])
"""

JUDGE = """
import random

from app.grading.judging import Verdict

COLUMNS = ["latency_ms", "error_count", "queue_depth"]


def make_inputs(seed, params):
    rng = random.Random(seed)
    col, limit = params["column"], params["limit"]
    # The battery: on, just below and just above the limit, one column at a time.
    rows = []
    for i, v in enumerate((limit - 1, limit, limit + 1)):
        rows.append({"id": i, **{c: 0 for c in COLUMNS}, col: v})
    for other in COLUMNS:
        if other != col:
            rows.append({"id": len(rows), **{c: 0 for c in COLUMNS}, other: limit + 100})
    for _ in range(10):
        rows.append({"id": len(rows), **{c: rng.randint(0, 100) for c in COLUMNS}})
    edge = [{"id": 0, **{c: limit for c in COLUMNS}}]
    return {"rows": rows, "edge": edge}


def check_alerts_match(cand, ref, inputs):
    return Verdict.ok() if cand.data == ref.data else Verdict.fail("The alert fires on the wrong rows.")


def check_boundary(cand, ref, inputs):
    return Verdict.ok() if cand.data == ref.data else Verdict.fail("A row on the limit fires.")
"""


def build(root: Path) -> Path:
    path = root / "toy-variant"
    for sub in ("workspace", "solution", "checks", "cheap/everything"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    (path / "scenario.yaml").write_text(textwrap.dedent(SCENARIO_YAML).lstrip())
    (path / "workspace" / "alerts.py").write_text(WORKSPACE.lstrip())
    (path / "workspace" / "run.py").write_text(RUN.lstrip())
    (path / "solution" / "alerts.py").write_text(SOLUTION.lstrip())
    (path / "cheap" / "everything" / "alerts.py").write_text(CHEAP.lstrip())
    (path / "checks" / "probe.py").write_text(PROBE.lstrip())
    (path / "checks" / "judge.py").write_text(JUDGE.lstrip())
    return path
