"""Online feature building for the churn endpoint."""

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
    tenure = request.get("tenure") or 0
    vec = [float(request["income"]), float(bucket), float(tenure) / 12.0]
    vec += [0.0, 0.0, 0.0]
    vec[3 + PLANS.index(request["plan"])] = 1.0
    return vec
