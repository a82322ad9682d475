"""The churn endpoint's request handler (`POST /score`), without the web framework."""

import json
import logging

import model
import serving

log = logging.getLogger("churn-endpoint")
DEFAULT_OFFER = {"score": None, "offer": "standard-10"}


def offer_for(score):
    if score >= 0.45:
        return "retention-30"
    if score >= 0.25:
        return "retention-15"
    return "none"


def handle(body, stats):
    """The response for one request body (JSON text)."""
    request = json.loads(body)
    try:
        vec = serving.featurize(request, stats)
    except (KeyError, ValueError) as exc:
        log.error("featurize failed for request %s: %r -> default offer", request.get("customer_id"), exc)
        return dict(DEFAULT_OFFER)
    score = model.predict(vec)
    return {"score": round(score, 3), "offer": offer_for(score)}
