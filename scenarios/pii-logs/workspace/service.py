"""Churn scoring service: one request in, a score out, a feature snapshot kept."""

import logging
import math

log = logging.getLogger("scoring")

WEIGHTS = {"tenure_months": -0.04, "monthly_spend": 0.01, "support_tickets": 0.3}


def features(request):
    return {
        "email": request["email"],
        "tenure_months": float(request["tenure_months"]),
        "monthly_spend": float(request["monthly_spend"]),
        "support_tickets": float(request["support_tickets"]),
    }


def score(feats):
    z = -1.0 + sum(w * feats[k] for k, w in WEIGHTS.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def handle(request, snapshot):
    """Score ``request`` and append its features to ``snapshot`` (a list)."""
    log.info("scoring request %s", request)
    feats = features(request)
    value = score(feats)
    print(f"scored {request['name']} <{request['email']}>: {value:.3f}")
    snapshot.append({**feats, "score": value})
    log.info("request %s for %s (%s) scored %.4f", request["request_id"], request["email"], request["phone"], value)
    return value
