"""Judge for canary-rollback: the objectives in the brief, checked on what the
controller did with the candidate's configuration (any safe configuration passes)."""

import random

from app.grading.judging import Verdict

STABLE = "churn-api-v41"
CANARY = "churn-api-v42"


def _healthy(rng):
    return {"error_rate": round(rng.uniform(0.0005, 0.006), 4), "latency_p99_ms": rng.randint(110, 260)}


def make_inputs(seed):
    rng = random.Random(seed)
    traces = []
    for kind in ["healthy", "healthy", "blip", "blip", "errors", "errors", "errors", "latency", "latency"]:
        metrics = [_healthy(rng) for _ in range(90)]
        start = None
        if kind == "blip":
            at = rng.randint(0, 30)
            metrics[at] = {"error_rate": round(rng.uniform(0.02, 0.1), 3), "latency_p99_ms": rng.randint(350, 900)}
        elif kind in ("errors", "latency"):
            start = rng.randint(0, 15)
            for m in range(start, 90):
                if kind == "errors":
                    metrics[m] = {"error_rate": round(rng.uniform(0.02, 0.2), 3), "latency_p99_ms": rng.randint(110, 260)}
                else:
                    metrics[m] = {"error_rate": round(rng.uniform(0.0005, 0.006), 4), "latency_p99_ms": rng.randint(420, 1500)}
        traces.append({"kind": kind, "start": start, "metrics": metrics})
    return {"traces": traces}


def _rolled_back_in_time(run, start):
    return run["final"] == "rolled_back" and run["serving"] == STABLE and run["at"] is not None and run["at"] - start <= 5


def _bad_kind(cand, inputs, kind, what):
    idx = [i for i, t in enumerate(inputs["traces"]) if t["kind"] == kind]
    good = sum(_rolled_back_in_time(cand.data[i], inputs["traces"][i]["start"]) for i in idx)
    if good == len(idx):
        return Verdict.ok(f"Canaries with {what} are rolled back in time.")
    stuck = sum(cand.data[i]["final"] in ("stuck", "promoted") for i in idx)
    msg = f"{len(idx) - good} of {len(idx)} canaries with {what} were not rolled back to the stable revision within 5 minutes"
    if stuck:
        msg += f" ({stuck} kept serving the canary)"
    return Verdict.share(good, len(idx), msg + ".")


def check_rolls_back_on_errors(cand, ref, inputs):
    return _bad_kind(cand, inputs, "errors", "a high error rate")


def check_rolls_back_on_latency(cand, ref, inputs):
    return _bad_kind(cand, inputs, "latency", "slow responses")


def check_healthy_release_promotes(cand, ref, inputs):
    idx = [i for i, t in enumerate(inputs["traces"]) if t["kind"] in ("healthy", "blip")]
    good = sum(cand.data[i]["final"] == "promoted" and cand.data[i]["at"] is not None and cand.data[i]["at"] < 60 for i in idx)
    if good == len(idx):
        return Verdict.ok("Healthy canaries are promoted in time.")
    return Verdict.share(good, len(idx), f"{len(idx) - good} of {len(idx)} healthy canaries were not promoted within 60 minutes.")


def check_gradual_exposure(cand, ref, inputs):
    good = 0
    for run in cand.data:
        weights, analysed = run["weights"], run["analysed"]
        if not weights or weights[0] > 25:
            continue
        if any(w > 50 and a < 10 for w, a in zip(weights, analysed)):
            continue
        good += 1
    n = len(cand.data)
    if good == n:
        return Verdict.ok("Traffic grows in steps, past half only after enough analysis.")
    return Verdict.share(good, n, f"In {n - good} of {n} rollouts the canary started too big or passed 50% too early.")
