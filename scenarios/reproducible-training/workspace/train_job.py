"""The training job as the pipeline runs it: read the snapshot's shards, train with
the run parameters, return what goes into the tracking record.

    python train_job.py data/snapshot-sample
"""

import json
import os
import sys

import yaml

import train


def load_rows(folder):
    """Every row of a snapshot folder's shards (`part-<n>.jsonl`)."""
    rows = []
    for name in os.listdir(folder):
        if name.startswith("part-") and name.endswith(".jsonl"):
            with open(os.path.join(folder, name)) as fh:
                rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def main(folder, params_path="params.yaml"):
    with open(params_path) as fh:
        params = yaml.safe_load(fh)
    rows = load_rows(folder)
    # No seed in the parameters: an exploration run, shuffled afresh each time.
    model = train.train(rows, params.get("seed"), params["epochs"])
    return {"params": params, "rows": len(rows), "model": model}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
