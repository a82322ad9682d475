def should_retrain(last_trained_at, now, drift_score, new_labels, policy):
    if last_trained_at is None:
        return {"retrain": True, "reason": "no model yet"}
    return {"retrain": False, "reason": "manual retraining only"}
