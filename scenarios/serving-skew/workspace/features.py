"""Training features: the one definition the model was trained on."""

import math

PLANS = ["basic", "plus", "pro"]
AGE_EDGES = [25, 35, 50, 65]


def fit_stats(rows):
    """What training learns from its rows: the tenure median for missing values."""
    tenures = sorted(float(r["tenure"]) for r in rows if r.get("tenure") is not None)
    mid = len(tenures) // 2
    median = tenures[mid] if len(tenures) % 2 else (tenures[mid - 1] + tenures[mid]) / 2
    return {"tenure_median": median}


def age_bucket(age):
    """Index of the first edge the age is below or equal to; len(AGE_EDGES) above all."""
    for i, edge in enumerate(AGE_EDGES):
        if age <= edge:
            return i
    return len(AGE_EDGES)


def training_vector(row, stats):
    tenure = row.get("tenure")
    tenure = stats["tenure_median"] if tenure is None else float(tenure)
    vec = [
        math.log1p(float(row["income"])),
        float(age_bucket(float(row["age"]))),
        tenure / 12.0,
    ]
    vec += [1.0 if row.get("plan") == p else 0.0 for p in PLANS]
    return vec
