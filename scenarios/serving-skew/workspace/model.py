"""The shipped churn model: a logistic regression over the training vector."""

import math

WEIGHTS = [-0.35, 0.22, -0.18, 0.4, -0.1, -0.55]
BIAS = 2.1


def predict(vec):
    z = BIAS + sum(w * x for w, x in zip(WEIGHTS, vec))
    z = max(-60.0, min(60.0, z))
    return 1.0 / (1.0 + math.exp(-z))
