"""Online feature building for the churn endpoint."""

import math

import features


def featurize(request, stats):
    """The model's input vector for one request (a dict like a training row)."""
    tenure = request.get("tenure") or stats["tenure_median"]
    vec = [
        math.log1p(float(request["income"])),
        float(features.age_bucket(float(request["age"]))),
        float(tenure) / 12.0,
    ]
    vec += [1.0 if request.get("plan") == p else 0.0 for p in features.PLANS]
    return vec
