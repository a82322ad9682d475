"""Churn scoring service: one request in, a score out, a feature snapshot kept.

Direct identifiers (email, phone, name) are used for nothing but the pseudonymous
customer key and never written anywhere: logs and snapshots carry the request id and
an HMAC of the email under the service's secret, which is stable per customer and
cannot be recomputed by someone who only has a list of emails.
"""

import hashlib
import hmac
import logging
import math

import config
import middleware
import segments

log = logging.getLogger("scoring")

WEIGHTS = {"tenure_months": -0.04, "monthly_spend": 0.01, "support_tickets": 0.3}
EMAIL_FIELD = "{{ email_field }}"


def customer_key(email):
    normalised = email.strip().lower().encode("utf-8")
    return hmac.new(config.PSEUDONYM_KEY, normalised, hashlib.sha256).hexdigest()


def features(request):
    return {
        "customer_key": customer_key(request[EMAIL_FIELD]),
        "segment": segments.segment_for(request),
        "tenure_months": float(request["tenure_months"]),
        "monthly_spend": float(request["monthly_spend"]),
        "support_tickets": float(request["support_tickets"]),
    }


def score(feats):
    z = -1.0 + sum(w * feats[k] for k, w in WEIGHTS.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _handle(request, snapshot):
    feats = features(request)
    value = score(feats)
    snapshot.append({**feats, "score": value})
    log.info("request %s scored %.4f", request["request_id"], value)
    return value


def handle(request, snapshot):
    """Score ``request`` and append its features to ``snapshot`` (a list)."""
    return middleware.traced(request, lambda r: _handle(r, snapshot))
