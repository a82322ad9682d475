"""Run the training job on the sample snapshot twice in this process and three times in
fresh interpreters (as the pipeline does, one process per run), then the tests:
python run.py"""

import json
import os
import subprocess
import sys
import unittest

import train_job

FOLDER = "data/snapshot-sample"


def summary(record):
    model = record["model"]
    coefs = " ".join(f"{f}={model['weights'][f]:+.4f}" for f in sorted(model["weights"]))
    return f"rows={record['rows']} {coefs} bias={model['bias']:+.4f}"


for i in range(2):
    print(f"in-process run {i + 1}: {summary(train_job.main(FOLDER))}")
for hash_seed in (1, 2, 3):
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed))
    out = subprocess.run([sys.executable, "train_job.py", FOLDER], env=env, capture_output=True, text=True, check=True)
    print(f"fresh process (hash seed {hash_seed}): {summary(json.loads(out.stdout))}")
print()
unittest.main(module="tests.test_train", argv=["tests"], exit=False, verbosity=2)
