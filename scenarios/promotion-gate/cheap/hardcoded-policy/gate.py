"""Promotion gate of the continuous-training pipeline."""

RMSE_MIN_IMPROVEMENT = 0.01
MAX_LATENCY_MS = 120
MIN_COVERAGE = 0.95


def decide(candidate, production, previous_candidate, policy):
    """Whether ``candidate`` may replace production (thresholds from policy.yaml)."""
    reasons = []
    promote = True
    if production is not None:
        if candidate["rmse"] <= production["rmse"] * (1 - RMSE_MIN_IMPROVEMENT):
            reasons.append("rmse improved")
        else:
            promote = False
            reasons.append("rmse did not improve enough")
    if candidate.get("latency_p95_ms", 0) > MAX_LATENCY_MS:
        promote = False
        reasons.append("too slow")
    if candidate.get("coverage", 1) < MIN_COVERAGE:
        promote = False
        reasons.append("coverage too low")
    return {"promote": promote, "reasons": reasons}
