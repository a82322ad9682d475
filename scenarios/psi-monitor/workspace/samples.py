"""Deterministic stand-ins for the feature store's samples (seeded by model, feature
and hour). ``shifted=True`` reproduces the partner's change of units: values three
times larger than in training."""

import random
import zlib

SHAPES = {
    "amount": (3.2, 0.9),
    "merchant_risk": (-1.5, 0.5),
    "hour_of_day": (2.5, 0.4),
    "card_age_days": (5.5, 0.7),
    "tenure_months": (2.8, 0.6),
    "monthly_spend": (3.9, 0.5),
    "support_calls": (0.4, 0.8),
}


def _rng(*parts):
    return random.Random(zlib.crc32("/".join(map(str, parts)).encode()))


def reference(model, feature, n=2000):
    mu, sigma = SHAPES[feature]
    rng = _rng(model, feature, "reference")
    return [round(rng.lognormvariate(mu, sigma), 4) for _ in range(n)]


def current(model, feature, hour, shifted=False, n=600):
    mu, sigma = SHAPES[feature]
    rng = _rng(model, feature, hour)
    factor = 3.0 if shifted else 1.0
    return [round(factor * rng.lognormvariate(mu, sigma), 4) for _ in range(n)]
