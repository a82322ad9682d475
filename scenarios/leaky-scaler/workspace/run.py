"""Prepare the sample export as the training job does, print what the preparation
learned, then run the tests: python run.py"""

import csv
import unittest

import yaml

import prep

with open("config/features.yaml") as fh:
    config = yaml.safe_load(fh)
with open(config["table"], newline="") as fh:
    rows = list(csv.DictReader(fh))

train, test, stats = prep.prepare(rows, config)
print(f"rows={len(rows)} train={len(train)} test={len(test)}")
print(f"{'feature':>16} {'unknown':>8} {'fill-in':>10} {'mean':>10} {'std':>10} {'train mean':>11} {'test mean':>10}")
for col in config["features"]:
    unknown = sum(prep.value(r[col]) is None for r in rows)
    fill_in, scale = stats["fill"][col], stats["scaler"][col]
    train_mean = sum(r[col] for r in train) / len(train)
    test_mean = sum(r[col] for r in test) / len(test)
    print(f"{col:>16} {unknown:>8} {fill_in:>10.2f} {scale['mean']:>10.2f} {scale['std']:>10.2f} "
          f"{train_mean:>+11.4f} {test_mean:>+10.4f}")
print()
unittest.main(module="tests.test_prep", argv=["tests"], exit=False, verbosity=2)
