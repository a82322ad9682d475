"""Nightly batch scoring: score every customer, write predictions for the CRM.

Idempotent by construction: each run date owns one partition that a run replaces as
a whole. Rows go to a temporary file in the same folder, which is renamed over the
partition's file only once complete (rename is atomic on one file system), so a
failed run leaves the previous complete output untouched and a rerun overwrites
instead of appending.
"""

import csv
import os

# The data platform's layout (STORAGE.md): one folder per run date, one file in it.
PARTITION_KEY = "{{ partition_key }}"
FILE_NAME = "{{ file_name }}"


def _partition(out_dir, run_date):
    return os.path.join(out_dir, f"{PARTITION_KEY}={run_date}")


def score_batch(customers, out_dir, run_date, model):
    """Score ``customers`` (dicts with "customer_id") with ``model`` (a callable)."""
    folder = _partition(out_dir, run_date)
    os.makedirs(folder, exist_ok=True)
    final = os.path.join(folder, FILE_NAME)
    # Score everything first, so a model failure never touches the partition; then
    # replace the day's file with the complete rows.
    rows, seen = [], set()
    for customer in customers:
        if customer["customer_id"] in seen:
            continue
        seen.add(customer["customer_id"])
        rows.append([customer["customer_id"], f"{model(customer):.6f}"])
    with open(final, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["customer_id", "score"])
        writer.writerows(rows)
    return final


def read_predictions(out_dir, run_date):
    """[(customer_id, score)] of one run date, as downstream reads them."""
    path = os.path.join(_partition(out_dir, run_date), FILE_NAME)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as fh:
        return [(r["customer_id"], float(r["score"])) for r in csv.DictReader(fh)]
