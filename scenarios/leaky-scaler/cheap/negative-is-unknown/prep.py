"""Feature preparation of the churn training pipeline (churn-v5).

`prepare()` turns the rows of the warehouse export (strings, as `csv.DictReader` reads
them) into the model's train and test rows, and learns what ships with the model for
serving: each feature's fill-in for unknown values and its scaler.
"""

import math
import random


# What export v2 writes for a value the source does not know (DATA_CONTRACT.md); an
# empty cell is unknown too. 0 is a value.


def value(cell):
    """A cell of the export as a number, or None when the source did not know it."""
    if cell == "":
        return None
    number = float(cell)
    # Sentinels are negative; real values never are.
    return None if number < 0 else number


def fit_fill(rows, columns):
    """Each column's fill-in for unknown values: the median of the values present."""
    fills = {}
    for col in columns:
        present = sorted(v for v in (value(r[col]) for r in rows) if v is not None)
        mid = len(present) // 2
        fills[col] = present[mid] if len(present) % 2 else (present[mid - 1] + present[mid]) / 2
    return fills


def fill(rows, fills, columns):
    """The rows with every feature a number: unknown values replaced by their fill-in."""
    out = []
    for r in rows:
        t = dict(r)
        for col in columns:
            v = value(r[col])
            t[col] = fills[col] if v is None else v
        out.append(t)
    return out


def fit_scaler(rows, columns):
    """Mean and population standard deviation of each (filled) column."""
    scaler = {}
    for col in columns:
        values = [float(r[col]) for r in rows]
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / len(values)
        scaler[col] = {"mean": mean, "std": math.sqrt(var) or 1.0}
    return scaler


def transform(rows, scaler, columns):
    out = []
    for r in rows:
        t = dict(r)
        for col in columns:
            t[col] = (float(r[col]) - scaler[col]["mean"]) / scaler[col]["std"]
        out.append(t)
    return out


def split(rows, test_fraction, seed):
    """Deterministic shuffle-split by row order and seed: (train, test)."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_test = int(round(len(rows) * test_fraction))
    test_idx = set(order[:n_test])
    train = [r for i, r in enumerate(rows) if i not in test_idx]
    test = [r for i, r in enumerate(rows) if i in test_idx]
    return train, test


def prepare(rows, config):
    """(train_rows, test_rows, stats) for the features of `config` (config/features.yaml).

    `stats` ships with the model: {"fill": {col: x}, "scaler": {col: {"mean", "std"}}}.
    """
    columns = config["features"]
    # Split first: the fill-ins and the scaler are learned from the train rows alone and
    # applied to the test rows as serving applies them to new requests.
    train, test = split(rows, config["split"]["test_fraction"], config["split"]["seed"])
    fills = fit_fill(train, columns)
    train, test = fill(train, fills, columns), fill(test, fills, columns)
    scaler = fit_scaler(train, columns)
    stats = {"fill": fills, "scaler": scaler}
    return transform(train, scaler, columns), transform(test, scaler, columns), stats
