"""The churn dashboard's loader (it lives in the analytics repository; this copy is for
reading): it reads a day's partition the way every ml-output reader does."""

import csv
import os

PARTITION_KEY = "{{ partition_key }}"


def day_table(out_dir, run_date):
    """Every row of ``run_date``'s partition, as the dashboard shows it."""
    folder = os.path.join(out_dir, f"{PARTITION_KEY}={run_date}")
    if not os.path.isdir(folder):
        return []
    rows = []
    for name in sorted(os.listdir(folder)):
        if name.startswith((".", "_")):
            continue
        with open(os.path.join(folder, name), newline="") as fh:
            rows += [(r["customer_id"], float(r["score"])) for r in csv.DictReader(fh)]
    return rows
