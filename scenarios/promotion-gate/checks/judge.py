"""Judge for promotion-gate. Each generated case has a kind; a check scores the
decisions of its kind against the reference's."""

import random

from app.grading.judging import Verdict


def _metrics(rng, rmse, ok=True):
    return {
        "rmse": round(rmse, 3),
        "latency_p95_ms": rng.randint(60, 115) if ok else rng.randint(125, 300),
        "coverage": round(rng.uniform(0.955, 0.99), 3) if ok else round(rng.uniform(0.8, 0.94), 3),
    }


def make_inputs(seed):
    rng = random.Random(seed)
    cases = []

    def add(kind, cand, prod, prev):
        cases.append({"kind": kind, "candidate": cand, "production": prod, "previous": prev})

    for i in range(6):  # clearly better or clearly worse than production, no previous run
        base = rng.uniform(20, 80)
        cand = base * (rng.uniform(0.7, 0.9) if i % 2 else rng.uniform(1.1, 1.3))
        add("direction", _metrics(rng, cand), _metrics(rng, base), None)
    for _ in range(6):
        # Clearly better than production, level with the previous candidate (retrained
        # on nearly the same data): only a comparison with production promotes it,
        # whichever way a gate reads the metric.
        base = rng.uniform(20, 80)
        cand = base * rng.uniform(0.8, 0.9)
        add("baseline", _metrics(rng, cand), _metrics(rng, base), _metrics(rng, cand * rng.uniform(0.997, 1.003)))
    for _ in range(4):  # better, but by less than the minimum
        base = rng.uniform(20, 80)
        add("min_improvement", _metrics(rng, base * rng.uniform(0.993, 0.9995)), _metrics(rng, base), None)
    for _ in range(4):  # much better, but a guardrail broken
        base = rng.uniform(20, 80)
        add("guardrail", _metrics(rng, base * 0.7, ok=False), _metrics(rng, base), None)
    for _ in range(3):  # no production model yet
        add("first", _metrics(rng, rng.uniform(20, 80)), None, None)
    rng.shuffle(cases)
    return {"cases": cases}


def _score(cand, ref, inputs, kind, what):
    idx = [i for i, c in enumerate(inputs["cases"]) if c["kind"] == kind]
    good = sum(cand.data[i]["promote"] == ref.data[i]["promote"] for i in idx)
    if good == len(idx):
        return Verdict.ok(f"Right decision for {what}.")
    return Verdict.share(good, len(idx), f"Wrong decision for {len(idx) - good} of {len(idx)} {what}.")


def check_lower_error_wins(cand, ref, inputs):
    return _score(cand, ref, inputs, "direction", "candidates clearly better or worse than production")


def check_compares_with_production(cand, ref, inputs):
    return _score(cand, ref, inputs, "baseline", "candidates whose previous run tells a different story than production")


def _blocking(cand, ref, inputs, kind, what):
    """Refusing is only worth credit from a gate that also promotes: scaled by the
    share of the reference's promotions the candidate's gate also makes."""
    verdict = _score(cand, ref, inputs, kind, what)
    promoted = [i for i, r in enumerate(ref.data) if r["promote"]]
    share = sum(cand.data[i]["promote"] for i in promoted) / len(promoted)
    if share < 1.0:
        return Verdict(verdict.fraction * share, verdict.message + " (Credit is reduced: good candidates are refused too.)")
    return verdict


def check_min_improvement_respected(cand, ref, inputs):
    return _blocking(cand, ref, inputs, "min_improvement", "candidates with a marginal improvement")


def check_guardrails_block(cand, ref, inputs):
    return _blocking(cand, ref, inputs, "guardrail", "candidates breaking a guardrail")


def check_first_model_promotes(cand, ref, inputs):
    return _score(cand, ref, inputs, "first", "first models with no production baseline")
