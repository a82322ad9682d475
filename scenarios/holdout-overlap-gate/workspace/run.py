"""Run the CI evaluation gate on the sample events table: python run.py [RUN_DATE]"""

import csv
import sys

import yaml

import model
from evaluate import gate

run_date = sys.argv[1] if len(sys.argv) > 1 else "2024-06-10"
with open("ci.yaml") as fh:
    cfg = yaml.safe_load(fh)
with open("data/events.csv", newline="") as fh:
    rows = [
        {**r, "id": int(r["id"]), "tenure_months": int(r["tenure_months"]),
         "support_calls": int(r["support_calls"]), "churned": int(r["churned"])}
        for r in csv.DictReader(fh)
    ]

trained_on = []


def train(train_rows):
    trained_on[:] = train_rows
    return model.train(train_rows)


result = gate(rows, run_date, cfg, train)
dates = sorted(r["event_date"] for r in trained_on)
print(f"events table: {len(rows)} rows, {rows and min(r['event_date'] for r in rows)} .. {max(r['event_date'] for r in rows)}")
print(f"run date {run_date}: trained on {len(trained_on)} rows"
      + (f" ({dates[0]} .. {dates[-1]})" if dates else ""))
print(f"holdout rows: {result['holdout_rows']}  accuracy: {result['accuracy']}")
print("PASSED: the build is promoted" if result["passed"] else f"FAILED: {'; '.join(result['reasons'])}")
