"""Prepare the sample data and print a summary: python run.py"""

import csv

from pipeline import prepare

COLUMNS = ["age", "income", "tenure"]

with open("data/customers.csv", newline="") as fh:
    rows = list(csv.DictReader(fh))

train, test, scaler = prepare(rows, COLUMNS, test_fraction=0.25, seed=7)
print(f"train={len(train)} test={len(test)}")
for col in COLUMNS:
    values = [r[col] for r in train]
    mean = sum(values) / len(values)
    print(f"{col:>8}: scaler mean={scaler[col]['mean']:.3f} std={scaler[col]['std']:.3f} "
          f"train mean after scaling={mean:+.4f}")
