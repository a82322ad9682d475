"""Feature preparation for the churn model."""

import math
import random


def fit_scaler(rows, columns):
    """Mean and (population) standard deviation of each column."""
    scaler = {}
    for col in columns:
        values = [float(r[col]) for r in rows]
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
        scaler[col] = {"mean": mean, "std": math.sqrt(var) or 1.0}
    return scaler


# What the customer table uses for "not known" (MODEL_CARD.md); 0 is a value.
MISSING = ("", None)


def fit_fill(rows, columns):
    """Each column's fill-in for missing values: the median of the values present."""
    fills = {}
    for col in columns:
        values = sorted(float(r[col]) for r in rows if r[col] not in MISSING)
        mid = len(values) // 2
        fills[col] = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
    return fills


def fill(rows, fills, columns):
    out = []
    for r in rows:
        t = dict(r)
        for col in columns:
            if t[col] in MISSING:
                t[col] = fills[col]
        out.append(t)
    return out

def transform(rows, scaler, columns):
    out = []
    for r in rows:
        t = dict(r)
        for col in columns:
            t[col] = (float(r[col]) - scaler[col]["mean"]) / scaler[col]["std"]
        out.append(t)
    return out


def split(rows, test_fraction, seed):
    """Deterministic shuffle-split by row order and seed."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_test = int(round(len(rows) * test_fraction))
    test_idx = set(order[:n_test])
    train = [r for i, r in enumerate(rows) if i not in test_idx]
    test = [r for i, r in enumerate(rows) if i in test_idx]
    return train, test


def prepare(rows, columns, test_fraction=0.25, seed=0):
    """Split first, learn the scaler on train only, apply it to both."""
    train, test = split(rows, test_fraction, seed)
    fills = fit_fill(train, columns)
    train, test = fill(train, fills, columns), fill(test, fills, columns)
    scaler = fit_scaler(train, columns)
    return transform(train, scaler, columns), transform(test, scaler, columns), scaler
