"""Judge for promotion-gate. Each case carries its own policy (metric name, direction,
minimum improvement, guardrails and their bounds all vary), so a gate that copies
today's policy.yaml into code is wrong on most of them. Each check scores the decisions
of its kind against the reference's.

The battery is fixed and always runs: for every policy, candidates clearly better and
clearly worse, a marginal improvement just under, just over and (where the arithmetic
is exact) exactly on the minimum, a previous candidate that tells a different story than
production, every guardrail broken alone (just over its bound, far over it) and met
exactly on its bound, and first models with and without a broken guardrail. Seeded
extra cases run too; they can only find more failures (an extra failure costs one
battery case), so a gate's grade is the same on every seed.
"""

import random

from app.grading.judging import Verdict

# name, direction, min_improvement, production value of the metric, guardrails.
# Minimum improvements of 1/8 and 1/4 with dyadic metric values make "exactly the
# minimum" exact in floating point whichever way a gate writes the comparison.
POLICIES = [
    ("rmse", "minimize", 0.01, 41.2, {"latency_p95_ms": {"max": 120}, "coverage": {"min": 0.95}}),
    ("auc", "maximize", 0.005, 0.81, {"calibration_error": {"max": 0.05}, "latency_p99_ms": {"max": 250}}),
    ("mape", "minimize", 0.125, 0.25, {"fairness_gap": {"max": 0.0625}, "coverage": {"min": 0.9, "max": 1.0}}),
    ("ndcg_at_10", "maximize", 0.25, 0.5, {"p95_ms": {"max": 80}}),
    ("mae", "minimize", 0.02, 12.5,
     {"latency_p95_ms": {"max": 60}, "coverage": {"min": 0.98}, "model_size_mb": {"max": 512}}),
]


def _policy(metric, direction, min_improvement, guardrails):
    return {"primary": {"metric": metric, "direction": direction, "min_improvement": min_improvement},
            "guardrails": {k: dict(v) for k, v in guardrails.items()}}


def _within(bound):
    """A comfortable value inside a guardrail's bound."""
    lo, hi = bound.get("min"), bound.get("max")
    if lo is not None and hi is not None:
        return round(lo + (hi - lo) * 0.6, 4)
    if hi is not None:
        return round(hi * 0.7, 4)
    return round(lo + (1 - lo) * 0.5, 4) if lo < 1 else round(lo * 1.3, 4)


def _metrics(metric, value, guardrails, **override):
    out = {metric: value, "rows_scored": 250000}
    for name, bound in guardrails.items():
        out[name] = _within(bound)
    out.update(override)
    return out


def _value(prod, direction, gain):
    """The metric value that is ``gain`` (relative, positive is better) from production."""
    return prod * (1 - gain) if direction == "minimize" else prod * (1 + gain)


def _case(kind, policy, cand, prod, prev, battery=True):
    return {"kind": kind, "policy": policy, "candidate": cand, "production": prod, "previous": prev,
            "battery": battery}


def _battery():
    cases = []
    for metric, direction, mi, prod_value, guardrails in POLICIES:
        policy = _policy(metric, direction, mi, guardrails)
        prod = _metrics(metric, prod_value, guardrails)

        def cand(gain, **override):
            return _metrics(metric, round(_value(prod_value, direction, gain), 6), guardrails, **override)

        # Direction: clearly better, clearly worse.
        for gain in (max(3 * mi, 0.1), -max(3 * mi, 0.1), 0.3, -0.15):
            cases.append(_case("direction", policy, cand(gain), prod, None))
        # The minimum improvement: just under, just over, exactly on it where exact.
        for gain in (mi * 0.8, mi * 1.2, mi - 0.001 if mi > 0.002 else mi * 0.5, mi * 0.25):
            cases.append(_case("min_improvement", policy, cand(gain), prod, None))
        if mi in (0.125, 0.25):
            exact = prod_value * (1 - mi) if direction == "minimize" else prod_value * (1 + mi)
            cases.append(_case("min_improvement", policy, _metrics(metric, exact, guardrails), prod, None))
        cases.append(_case("min_improvement", policy, cand(mi * 1.5), prod, None))
        # The previous candidate tells a different story than production.
        better, worse = max(3 * mi, 0.1), -max(3 * mi, 0.1)
        prev_far_better = _metrics(metric, round(_value(prod_value, direction, better * 2), 6), guardrails)
        prev_far_worse = _metrics(metric, round(_value(prod_value, direction, worse * 2), 6), guardrails)
        cases.append(_case("baseline", policy, cand(better), prod, prev_far_better))
        cases.append(_case("baseline", policy, cand(worse), prod, prev_far_worse))
        cases.append(_case("baseline", policy, cand(mi * 0.5), prod, prev_far_worse))
        cases.append(_case("baseline", policy, cand(better), prod, cand(better)))
        # Guardrails: each one broken alone (just over, far over), and met exactly.
        for name, bound in guardrails.items():
            for side in ("max", "min"):
                if side not in bound:
                    continue
                b = bound[side]
                step = max(abs(b) * 0.002, 0.0001) if not isinstance(b, int) else 1
                sign = 1 if side == "max" else -1
                for value in (b + sign * step, b + sign * max(abs(b) * 0.3, 5 * step)):
                    v = round(value, 6) if not isinstance(b, int) else int(value)
                    cases.append(_case("guardrail", policy, cand(0.3, **{name: v}), prod, None))
                cases.append(_case("guardrail", policy, cand(0.3, **{name: b}), prod, None))
        # No production model yet.
        cases.append(_case("first", policy, cand(-0.2), None, None))
        cases.append(_case("first", policy, cand(0.05), None, cand(0.4)))
        name, bound = next(iter(guardrails.items()))
        broken = bound["max"] * 1.5 if "max" in bound else bound["min"] * 0.5
        cases.append(_case("first", policy, cand(0.2, **{name: broken}), None, None))
    return cases


def _extras(rng):
    cases = []
    metric_names = ["rmse", "mae", "log_loss", "auc", "f1", "recall_at_20", "wape"]
    guard_names = ["latency_p95_ms", "latency_p99_ms", "coverage", "calibration_error", "model_size_mb"]
    for _ in range(12):
        metric = rng.choice(metric_names)
        direction = rng.choice(["minimize", "maximize"])
        mi = rng.choice([0.0, 0.01, 0.02, 0.03, 0.05, 0.1])
        guardrails = {}
        for name in rng.sample(guard_names, rng.randint(1, 3)):
            if name == "coverage":
                guardrails[name] = {"min": round(rng.uniform(0.8, 0.99), 3)}
            else:
                guardrails[name] = {"max": rng.choice([50, 80, 120, 250, 0.05, 0.1, 512])}
        policy = _policy(metric, direction, mi, guardrails)
        prod_value = round(rng.uniform(0.2, 80), 4)
        prod = _metrics(metric, prod_value, guardrails)
        gain = rng.choice([mi * 0.7, mi * 1.3 + 0.001, 0.2, -0.2, mi + 0.004, max(mi - 0.004, -0.01)])
        override = {}
        kind = "direction" if abs(gain) == 0.2 else "min_improvement"
        if rng.random() < 0.3:
            name = rng.choice(list(guardrails))
            bound = guardrails[name]
            override[name] = bound["max"] * 1.02 if "max" in bound else bound["min"] * 0.98
            kind, gain = "guardrail", 0.3
        candidate = _metrics(metric, round(_value(prod_value, direction, gain), 6), guardrails, **override)
        prev = None
        if kind == "direction" and rng.random() < 0.5:
            prev = _metrics(metric, round(_value(prod_value, direction, -gain * 1.5), 6), guardrails)
            kind = "baseline"
        cases.append(_case(kind, policy, candidate, prod, prev, battery=False))
    return cases


def make_inputs(seed):
    return {"cases": _battery() + _extras(random.Random(seed))}


def _broken(case):
    """Names of the guardrails the case's candidate breaks."""
    out = []
    for name, bound in case["policy"]["guardrails"].items():
        value = case["candidate"].get(name)
        if ("max" in bound and value > bound["max"]) or ("min" in bound and value < bound["min"]):
            out.append(name)
    return out


def _explained(result, case):
    """The reasons name the primary metric when there is a production model to compare
    with, and every guardrail the candidate breaks (the runbook's contract)."""
    reasons = " ".join(str(r) for r in result.get("reasons") or [])
    if case["production"] is not None and case["policy"]["primary"]["metric"] not in reasons:
        return False
    return all(name in reasons for name in _broken(case))


def _graded(cand, ref, inputs, kind):
    cases = inputs["cases"]
    idx = [i for i, c in enumerate(cases) if c["kind"] == kind]
    oks = [cand.data[i].get("promote") is ref.data[i]["promote"] and _explained(cand.data[i], cases[i]) for i in idx]
    battery = [ok for ok, i in zip(oks, idx, strict=True) if cases[i]["battery"]]
    extra_failed = any(not ok for ok, i in zip(oks, idx, strict=True) if not cases[i]["battery"])
    good = sum(battery) - (1 if extra_failed and all(battery) else 0)
    return max(good, 0), len(battery)


def _score(cand, ref, inputs, kind, what):
    good, total = _graded(cand, ref, inputs, kind)
    if good == total:
        return Verdict.ok(f"Right decision for {what}.")
    return Verdict.share(good, total, f"Wrong decision, or reasons that do not say why, for {total - good} of {total} {what}.")


def check_lower_error_wins(cand, ref, inputs):
    return _blocking(cand, ref, inputs, "direction", "candidates clearly better or worse than production")


def check_compares_with_production(cand, ref, inputs):
    return _blocking(cand, ref, inputs, "baseline", "candidates whose previous run tells a different story than production")


def _blocking(cand, ref, inputs, kind, what):
    """Refusing is only worth credit from a gate that also promotes: scaled by the
    share of the reference's promotions (battery cases) the candidate's gate also makes."""
    verdict = _score(cand, ref, inputs, kind, what)
    promoted = [i for i, (r, c) in enumerate(zip(ref.data, inputs["cases"], strict=True))
                if r["promote"] and c["battery"]]
    share = sum(cand.data[i].get("promote") is True for i in promoted) / len(promoted)
    if share < 1.0:
        return Verdict(verdict.fraction * share, verdict.message + " (Credit is reduced: good candidates are refused too.)")
    return verdict


def check_min_improvement_respected(cand, ref, inputs):
    return _blocking(cand, ref, inputs, "min_improvement", "candidates near the policy's minimum improvement")


def check_guardrails_block(cand, ref, inputs):
    return _blocking(cand, ref, inputs, "guardrail", "candidates at or beyond a guardrail's bound")


def check_first_model_promotes(cand, ref, inputs):
    return _blocking(cand, ref, inputs, "first", "first models with no production baseline")
