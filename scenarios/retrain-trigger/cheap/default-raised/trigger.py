"""Continuous-training trigger, asked every hour by the scheduler (contract: RUNBOOK.md)."""

import clock


def should_retrain(last_trained_at, now, drift_score, new_labels, policy):
    """`policy` is the normalised form `policy.load` returns."""
    if last_trained_at is None:
        return {"retrain": True, "reason": "no model yet"}
    hours = clock.elapsed_minutes(last_trained_at, now) / 60
    if hours < policy["cooldown_hours"]:
        return {"retrain": False, "reason": "cooldown"}
    if drift_score > policy["drift_threshold"]:
        return {"retrain": True, "reason": "drift"}
    if new_labels >= policy["min_new_labels"]:
        return {"retrain": True, "reason": "new labels"}
    return {"retrain": False, "reason": "nothing new"}
