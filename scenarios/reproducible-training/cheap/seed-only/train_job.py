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
    """Every row of a snapshot folder's shards (`part-<n>.jsonl`), in the order of the
    shards' numbers: the order the writer wrote them in, which the first-seen duplicate
    rule depends on. A directory listing comes in whatever order the file system keeps,
    and the numbers are not zero-padded, so their text order is not theirs either."""
    shards = {}
    for name in os.listdir(folder):
        if name.startswith("part-") and name.endswith(".jsonl"):
            shards[int(name[len("part-"):-len(".jsonl")])] = name
    rows = []
    for number in sorted(shards):
        with open(os.path.join(folder, shards[number])) as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def main(folder, params_path="params.yaml"):
    with open(params_path) as fh:
        params = yaml.safe_load(fh)
    rows = load_rows(folder)
    # The shuffle's seed under the key the tracking record gives it (never a default:
    # a run without its seed cannot be reproduced).
    model = train.train(rows, params["{{ seed_key }}"], params["epochs"])
    return {"params": params, "rows": len(rows), "model": model}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
