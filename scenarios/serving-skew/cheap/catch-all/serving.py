"""Online feature building for the churn endpoint."""

INCOME_FIELD = "{{ income_field }}"
TENURE_FIELD = "{{ tenure_field }}"
PLANS = ["basic", "plus", "pro"]


def featurize(request, stats):
    try:
        age = float(request["age"])
        bucket = 0 if age < 25 else 1 if age < 35 else 2 if age < 50 else 3 if age < 65 else 4
        tenure = request.get(TENURE_FIELD) or 0
        vec = [float(request[INCOME_FIELD]) * 12, float(bucket), float(tenure) / 12.0, 0.0, 0.0, 0.0]
        vec[3 + PLANS.index(str(request["plan"]).lower())] = 1.0
        return vec
    except Exception:
        return [0.0] * 6
