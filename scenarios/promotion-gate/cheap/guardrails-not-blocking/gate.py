"""Promotion gate of the continuous-training pipeline."""


def _better_by(candidate_value, production_value, direction):
    """Relative improvement of the candidate over production (positive is better)."""
    scale = abs(production_value) or 1.0
    if direction == "minimize":
        return (production_value - candidate_value) / scale
    return (candidate_value - production_value) / scale


def decide(candidate, production, previous_candidate, policy):
    """Whether ``candidate`` (a dict of metrics) may replace production.

    The previous candidate never served traffic, so it is no baseline: the only
    question is whether the candidate is better than what users get now.
    """
    primary = policy["primary"]
    metric = primary["metric"]
    reasons = []
    promote = True
    if production is not None:
        gain = _better_by(candidate[metric], production[metric], primary["direction"])
        if gain >= primary["min_improvement"]:
            reasons.append(f"{metric} better than production by {gain:.1%}")
        else:
            promote = False
            reasons.append(f"{metric} not better than production by {primary['min_improvement']:.1%}")
    for name, bound in policy["guardrails"].items():
        value = candidate.get(name)
        if value is None:
            promote = False
            reasons.append(f"{name} missing")
            continue
        if "max" in bound and value > bound["max"]:
            reasons.append(f"{name} above {bound['max']}")
        if "min" in bound and value < bound["min"]:
            reasons.append(f"{name} below {bound['min']}")
    return {"promote": promote, "reasons": reasons}
