"""Run the CI evaluation gate on the events sample as CI does, and again as build 4502
saw it (the export stalled after 05-10); print the PR bot's comment, then the gate's
tests: python run.py"""

import csv
import unittest

import yaml

import model
import pr_report
from evaluate import gate

RUNS = [("2024-06-12", "today's CI run", "9999-12-31"), ("2024-05-21", "replay of build 4356", "2024-05-10")]
with open("ci.yaml") as fh:
    cfg = yaml.safe_load(fh)
routing = pr_report.load_routing(cfg["routing"])
with open("data/events.csv", newline="") as fh:
    table = [
        {**r, "id": int(r["id"]), "tenure_months": int(r["tenure_months"]),
         "support_calls": int(r["support_calls"]), "churned": int(r["churned"])}
        for r in csv.DictReader(fh)
    ]

trained_on = []


def train(train_rows):
    trained_on[:] = train_rows
    return model.train(train_rows)


for run_date, what, exported_until in RUNS:
    rows = [r for r in table if r["event_date"] <= exported_until]
    trained_on.clear()
    result = gate(rows, run_date, cfg, train)
    dates = sorted(r["event_date"] for r in trained_on)
    print(f"== {what}: run date {run_date}, events table {len(rows)} rows, "
          f"{min(r['event_date'] for r in rows)} .. {max(r['event_date'] for r in rows)}")
    print(f"trained on {len(trained_on)} rows" + (f" ({dates[0]} .. {dates[-1]})" if dates else ""))
    print(f"holdout rows: {result['holdout_rows']}  accuracy: {result['accuracy']}")
    print(pr_report.comment(result, routing))
    print()
unittest.main(module="tests.test_evaluate", argv=["tests"], exit=False, verbosity=2)
