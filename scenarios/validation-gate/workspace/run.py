"""Run the gate on the transactions sample as last night's pipeline did, then the
tests: python run.py"""

import csv
import unittest

import gate

with open("data/sample.csv", newline="") as fh:
    rows = list(csv.DictReader(fh))
accepted, rejected = gate.run_gate("transactions", rows)
for item in rejected:
    print("  rejected", item["row"].get("transaction_id"), item["reasons"])
print()
unittest.main(module="tests.test_validate", argv=["tests"], exit=False, verbosity=2)
