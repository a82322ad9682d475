"""Replay Thursday's request log through the alert, one evaluation a minute:
python run.py"""

import csv
from datetime import datetime, timezone

import yaml

from alert import evaluate, update

with open("monitor.yaml") as fh:
    rule = yaml.safe_load(fh)
with open("data/thursday.csv", newline="") as fh:
    requests = [{"ts": float(r["ts"]), "latency_ms": float(r["latency_ms"])} for r in csv.DictReader(fh)]

step = rule["evaluate_every_seconds"]
start, end = requests[0]["ts"], requests[-1]["ts"]
now = start - start % step + step
buffer, i, firing, pages = [], 0, False, 0
while now <= end + step:
    while i < len(requests) and requests[i]["ts"] <= now:
        buffer.append(requests[i])
        i += 1
    buffer = [r for r in buffer if r["ts"] > now - 900]  # the scheduler keeps 15 minutes
    evaluation = evaluate(buffer, now, rule)
    firing, event = update(firing, evaluation, rule)
    pages += event == "fire"
    value = evaluation["value_ms"]
    shown = "   -   " if value is None else f"{value:7.1f}"
    clock = datetime.fromtimestamp(now, timezone.utc).strftime("%H:%M")
    print(f"{clock}  {rule['name']} = {shown} ms  {'FIRING' if firing else 'ok':6}  {event or ''}")
    now += step
print(f"pages sent: {pages}")
