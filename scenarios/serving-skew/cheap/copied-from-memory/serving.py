"""Online feature building for the churn endpoint."""

import math

PLANS = ["basic", "plus", "pro"]


def featurize(request, stats):
    """The model's input vector for one request (a dict like a training row)."""
    age = float(request["age"])
    if age < 25:
        bucket = 0
    elif age < 35:
        bucket = 1
    elif age < 50:
        bucket = 2
    elif age < 65:
        bucket = 3
    else:
        bucket = 4
    tenure = request.get("tenure")
    tenure = stats["tenure_median"] if tenure is None else float(tenure)
    vec = [math.log1p(float(request["income"])), float(bucket), tenure / 12.0]
    vec += [1.0 if request.get("plan") == p else 0.0 for p in PLANS]
    return vec
