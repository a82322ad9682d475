"""Register twice as the nightly job and a manual re-run did, show what the deploy
would read for v1, then run the tests: python run.py"""

import csv
import json
import random
import tempfile
import unittest

import promote
import register_job

with tempfile.TemporaryDirectory() as tmp:
    data = f"{tmp}/extract-2024-04-15.csv"
    rng = random.Random(1)
    with open(data, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["score", "label"])
        for _ in range(50):
            w.writerow([round(rng.random(), 3), int(rng.random() < 0.2)])
    nightly = register_job.run(f"{tmp}/registry", data, 0.8)
    print("nightly:", json.dumps(nightly))
    artifact, entry = promote.deployed_artifact(f"{tmp}/registry", "fraud", nightly["version"])
    print("approved for production:", artifact.decode())
    manual = register_job.run(f"{tmp}/registry", data, 0.9)
    print("manual re-run:", json.dumps(manual))
    artifact, entry = promote.deployed_artifact(f"{tmp}/registry", "fraud", nightly["version"])
    print(f"deploy of v{nightly['version']} now ships:", artifact.decode())

print()
unittest.main(module="tests.test_registry", argv=["tests"], exit=False, verbosity=2)
