"""Validate the sample file: python run.py"""

import csv

import yaml

from validate import split_rows

with open("contract.yaml") as fh:
    contract = yaml.safe_load(fh)
with open("data/sample.csv", newline="") as fh:
    rows = list(csv.DictReader(fh))
accepted, rejected = split_rows(rows, contract)
print(f"accepted {len(accepted)}, rejected {len(rejected)}")
for item in rejected:
    print("  rejected", item["row"].get("transaction_id"), item["reasons"])
