"""Build a training set from the sample exports as the nightly job does, print it,
then run the tests: python run.py"""

import csv
import unittest

import yaml

import offline_store
from join import FEATURES, build_training_set

with open("config/training_set.yaml") as fh:
    config = yaml.safe_load(fh)

with open(config["labels"], newline="") as fh:
    labels = [dict(r, label=int(r["label"])) for r in csv.DictReader(fh)]
feature_rows = offline_store.read_export(config["offline_table"])

rows = build_training_set(labels, feature_rows)
print(f"{len(labels)} labels, {len(feature_rows)} offline rows -> {len(rows)} training rows")
for row in rows:
    cells = [f"{row['entity_id']} {row['event_time']} label={row['label']}"]
    for f in FEATURES:
        cells.append(f"{f}={row[f]} (at {row[f + '_at']})")
    print("  ".join(cells))
print()
unittest.main(module="tests.test_join", argv=["tests"], exit=False, verbosity=2)
