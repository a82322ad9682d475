"""Promotion gate of the continuous-training pipeline."""


def decide(candidate, production, previous_candidate, policy):
    """Whether ``candidate`` (a dict of metrics) may replace production."""
    primary = policy["primary"]
    metric = primary["metric"]
    reasons = []
    baseline = previous_candidate or production
    promote = True
    if baseline is not None:
        if candidate[metric] > baseline[metric] * (1 + primary["min_improvement"]):
            reasons.append(f"{metric} improved")
        else:
            promote = False
            reasons.append(f"{metric} did not improve")
    for name, bound in policy["guardrails"].items():
        if "max" in bound and candidate[name] > bound["max"]:
            reasons.append(f"{name} above {bound['max']}")
        if "min" in bound and candidate[name] < bound["min"]:
            reasons.append(f"{name} below {bound['min']}")
    return {"promote": promote, "reasons": reasons}
