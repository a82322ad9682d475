"""Online feature building for the churn endpoint."""

import math

INCOME_FIELD = "{{ income_field }}"
TENURE_FIELD = "{{ tenure_field }}"
PLANS = ["basic", "plus", "pro"]


def featurize(request, stats):
    """The model's input vector for one scoring request."""
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
    tenure = request.get(TENURE_FIELD)
    tenure = stats["tenure_median"] if tenure is None else float(tenure)
    plan = str(request["plan"]).lower()
    vec = [math.log1p(float(request[INCOME_FIELD]) * 12), float(bucket), tenure / 12.0]
    vec += [1.0 if plan == p else 0.0 for p in PLANS]
    return vec
