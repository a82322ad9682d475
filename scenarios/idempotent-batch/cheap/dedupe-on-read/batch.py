"""Nightly batch scoring: score every customer, write predictions for the CRM."""

import csv
import os


def score_batch(customers, out_dir, run_date, model):
    """Score ``customers`` (dicts with "customer_id") with ``model`` (a callable)."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "predictions.csv")
    new_file = not os.path.exists(path)
    with open(path, "a", newline="") as fh:
        writer = csv.writer(fh)
        if new_file:
            writer.writerow(["customer_id", "score", "run_date"])
        for customer in customers:
            writer.writerow([customer["customer_id"], f"{model(customer):.6f}", run_date])
            fh.flush()
    return path


def read_predictions(out_dir, run_date):
    """[(customer_id, score)] of one run date, as downstream reads them."""
    path = os.path.join(out_dir, "predictions.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="") as fh:
        latest = {}
        for r in csv.DictReader(fh):
            if r["run_date"] == run_date:
                latest[r["customer_id"]] = float(r["score"])
        return list(latest.items())
