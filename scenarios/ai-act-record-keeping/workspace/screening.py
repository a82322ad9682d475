"""The screening service's call into the model and the logger (owned by the recruiting
platform team; shown here so the events are clear)."""

import hashlib

MODEL_VERSION = "cvs-4.2.1"
THRESHOLD = 0.62


def score_application(application):
    digest = hashlib.sha256(application["cv_text"].encode()).digest()
    return round(int.from_bytes(digest[:2], "big") / 65535, 4)


def screen(application, logger):
    score = score_application(application)
    event = {
        "decision_id": application["application_id"].replace("app", "dec"),
        "candidate_ref": application["candidate_ref"],
        "vacancy_id": application["vacancy_id"],
        "model_version": MODEL_VERSION,
        "input_reference": "sha256:" + hashlib.sha256(application["cv_text"].encode()).hexdigest(),
        "score": score,
        "threshold": THRESHOLD,
        "outcome": "shortlist" if score >= THRESHOLD else "reject",
    }
    if application.get("vacancy_id") is None:
        del event["vacancy_id"]  # speculative applications have no vacancy
    logger.log_decision(event)
    return event
