"""Replay Thursday's request log through the alert as the scheduler does, then run the
tests: python run.py"""

import csv
import unittest
from datetime import datetime, timezone

import yaml

import alert
from scheduler import replay

with open("monitor.yaml") as fh:
    rule = yaml.safe_load(fh)
with open("data/requests_2024-06-13.csv", newline="") as fh:
    requests = [{"ts": float(r["ts"]), "latency_ms": float(r["latency_ms"])} for r in csv.DictReader(fh)]

pages = 0
for now, evaluation, firing, event in replay(requests, rule, alert):
    value = evaluation["value_ms"]
    shown = "   -   " if value is None else f"{value:7.1f}"
    clock = datetime.fromtimestamp(now, timezone.utc).strftime("%H:%M")
    print(f"{clock}  {rule['name']} = {shown} ms  {'FIRING' if firing else 'ok':6}  {event or ''}")
    if event == "fire":
        pages += 1
        print(f"       PAGE: {alert.page_text(evaluation, rule)}")
print(f"pages sent: {pages}\n")
unittest.main(module="tests.test_alert", argv=["tests"], exit=False, verbosity=2)
