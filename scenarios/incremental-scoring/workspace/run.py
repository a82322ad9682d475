"""Replay the nights of data/runs.txt (the scheduler retried one of them) on the
sample of the events table and count the model calls: python run.py"""

import csv
import json
import math

from events_table import parse_row
from score_job import run_nightly

ARRIVAL = "{{ arrival_col }}"

with open("data/events.csv", newline="") as fh:
    events = [parse_row(r) for r in csv.DictReader(fh)]
with open("data/runs.txt") as fh:
    runs = fh.read().split()

calls = {}


def score(event):  # stand-in for the GPU model
    calls[event["id"]] = calls.get(event["id"], 0) + 1
    z = -1.0 - 0.1 * event["sessions"] - 0.005 * event["minutes"] + 0.6 * event["tickets"]
    return round(1 / (1 + math.exp(-z)), 6)


stored = "null"  # the scheduler keeps the state as JSON between runs
for run_at in runs:
    visible = [e for e in events if e[ARRIVAL] <= run_at]
    before = sum(calls.values())
    result = run_nightly(visible, json.loads(stored), run_at, score)
    stored = json.dumps(result["state"])
    print(f"{run_at}: {len(visible):4} events in the table, {sum(calls.values()) - before:4} model calls, "
          f"{len(result['predictions']):4} predictions, state {len(stored)} bytes")

seen = [e for e in events if e[ARRIVAL] <= runs[-1]]
never = [e for e in seen if e["id"] not in calls]
print(f"{sum(calls.values())} model calls for {len(seen)} events; {len(never)} events never scored")
