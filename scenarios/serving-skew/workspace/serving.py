"""Online feature building for the churn endpoint.

The endpoint receives the CRM's request (`api/score_request.schema.json`), not a
training row, so this module reads the request's own fields.
"""

import math

INCOME_FIELD = "{{ income_field }}"
TENURE_FIELD = "{{ tenure_field }}"
PLANS = ["basic", "plus", "pro"]
DEFAULT_TENURE = 0


def _bucket(age):
    if age < 25:
        return 0
    if age < 35:
        return 1
    if age < 50:
        return 2
    if age < 65:
        return 3
    return 4


def featurize(request, stats):
    """The model's input vector for one scoring request."""
    age = float(request["age"])
    income = math.log1p(float(request[INCOME_FIELD]))
    tenure = request.get(TENURE_FIELD) or DEFAULT_TENURE
    plan = str(request["plan"]).lower()
    vec = [income, float(_bucket(age)), float(tenure) / 12.0]
    vec += [0.0] * len(PLANS)
    vec[3 + PLANS.index(plan)] = 1.0
    return vec
