"""Train and register twice: python run.py"""

import csv
import json
import random
import tempfile

import registry
import train

with tempfile.TemporaryDirectory() as tmp:
    data = f"{tmp}/data.csv"
    rng = random.Random(1)
    with open(data, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["score", "label"])
        for _ in range(50):
            w.writerow([round(rng.random(), 3), int(rng.random() < 0.2)])
    for quantile in (0.8, 0.9):
        params = {"quantile": quantile}
        artifact, metrics = train.train(data, params)
        entry = registry.register(f"{tmp}/registry", "fraud", artifact, metrics, data, params, "3f2a9c1")
        print(json.dumps(entry, indent=2))
