"""Continuous-training trigger, asked every hour by the scheduler."""

from datetime import datetime


def should_retrain(last_trained_at, now, drift_score, new_labels, policy):
    if last_trained_at is None:
        return {"retrain": True, "reason": "no model yet"}
    elapsed = datetime.fromisoformat(now) - datetime.fromisoformat(last_trained_at)
    hours = elapsed.total_seconds() / 3600
    if hours < 24:
        return {"retrain": False, "reason": "cooldown"}
    if drift_score > 0.2:
        return {"retrain": True, "reason": "drift"}
    if new_labels >= 500:
        return {"retrain": True, "reason": "new labels"}
    return {"retrain": False, "reason": "nothing new"}
