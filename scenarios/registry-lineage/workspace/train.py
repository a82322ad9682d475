"""The training job: fits a one-feature threshold model on a CSV file."""

import csv
import json


def train(data_path, params):
    with open(data_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    scores = sorted(float(r["score"]) for r in rows)
    q = min(max(float(params.get("quantile", 0.9)), 0.0), 1.0)
    threshold = scores[int(q * (len(scores) - 1))] if scores else 0.0
    model = {"kind": "threshold", "feature": "score", "threshold": threshold}
    positives = [r for r in rows if r["label"] == "1"]
    caught = sum(1 for r in positives if float(r["score"]) >= threshold)
    metrics = {"recall": caught / len(positives) if positives else 0.0}
    return json.dumps(model, sort_keys=True).encode(), metrics
