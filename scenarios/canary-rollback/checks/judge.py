"""Judge for canary-rollback: the runbook's objectives (the variant's error rate and
p99 limits), the variant's stable revision (the last one the deploy history promoted
before the failing release) and the release policy, checked on what the controller did with the
candidate's configuration (any safe configuration passes).

Every check scores a fixed battery of metric traces that always runs: canaries that sit
exactly on an objective, just under it and just over it, errors and latency bad
separately, a bad canary starting at each phase of the first ten minutes, one noisy
minute at several places. Seeded extra traces run too; they can only find more
failures (an extra failure costs one battery case), so the grade of a configuration is
the same on every seed unless it is wrong in a way the battery alone misses.
"""

import random

from app.grading.judging import Verdict

HORIZON = 90
# Any configuration that meets the brief promotes no earlier than minute 10 and rolls
# back within 5 minutes; a failure that starts by minute 9 is caught by every one of
# them before promotion, so these are the starts the judge may ask about.
BAD_STARTS = (0, 1, 3, 5, 7, 9)


def _flat(errors, p99):
    return [{"error_rate": errors, "latency_p99_ms": p99} for _ in range(HORIZON)]


def _trace(kind, metrics, start=None, battery=True):
    return {"kind": kind, "start": start, "metrics": metrics, "battery": battery}


def _battery(me, mp):
    """``me``, ``mp``: the variant's error rate and p99 objectives (at most)."""
    over_e, over_p = round(me + 0.0001, 6), mp + 1
    traces = []
    # Healthy, on and just under each objective (the objective says "at most").
    for errors, p99 in [(0.004, 180), (me, 180), (0.004, mp), (me, mp),
                        (round(me * 0.99, 6), mp - 1), (0.0, 40)]:
        traces.append(_trace("healthy", _flat(errors, p99)))
    # Healthy with a single bad minute: noise, whichever objective and however bad.
    for at, noise in [(0, {"error_rate": over_e, "latency_p99_ms": 150}),
                      (4, {"error_rate": 0.3, "latency_p99_ms": 150}),
                      (9, {"error_rate": 0.003, "latency_p99_ms": over_p}),
                      (12, {"error_rate": 0.003, "latency_p99_ms": 2500}),
                      (2, {"error_rate": 0.05, "latency_p99_ms": 900})]:
        metrics = _flat(0.003, 170)
        metrics[at] = dict(noise)
        traces.append(_trace("blip", metrics))
    # Two isolated bad minutes, far apart: each one is noise.
    metrics = _flat(0.003, 170)
    metrics[3] = {"error_rate": me * 2, "latency_p99_ms": 170}
    metrics[8] = {"error_rate": 0.003, "latency_p99_ms": mp + 150}
    traces.append(_trace("blip", metrics))
    # Errors bad alone, just over the objective and far over, from each start.
    for i, start in enumerate(BAD_STARTS):
        for errors in (over_e, round(me * 1.2, 6) if i % 2 else 0.08):
            metrics = _flat(0.004, 200)
            for m in range(start, HORIZON):
                metrics[m] = {"error_rate": errors, "latency_p99_ms": 200}
            traces.append(_trace("errors", metrics, start))
    # Latency bad alone, just over and far over, from each start; errors healthy, even on the line.
    for i, start in enumerate(BAD_STARTS):
        for p99 in (over_p, mp + 40 if i % 2 else 1500):
            metrics = _flat(me if i % 3 == 0 else 0.002, 200)
            for m in range(start, HORIZON):
                metrics[m] = {"error_rate": metrics[m]["error_rate"], "latency_p99_ms": p99}
            traces.append(_trace("latency", metrics, start))
    return traces


def _extras(rng, me, mp):
    traces = []
    for _ in range(3):
        metrics = [{"error_rate": round(rng.uniform(0, me), 4), "latency_p99_ms": rng.randint(60, mp)}
                   for _ in range(HORIZON)]
        if rng.random() < 0.5:
            metrics[rng.randint(0, 40)] = {"error_rate": round(rng.uniform(me * 1.1, 0.5), 6),
                                           "latency_p99_ms": rng.randint(60, 3000)}
        traces.append(_trace("blip", metrics, battery=False))
    for kind in ("errors", "errors", "latency", "latency"):
        start = rng.randint(0, BAD_STARTS[-1])
        metrics = [{"error_rate": round(rng.uniform(0, me), 4), "latency_p99_ms": rng.randint(60, mp)}
                   for _ in range(HORIZON)]
        for m in range(start, HORIZON):
            if kind == "errors":
                metrics[m] = {"error_rate": round(rng.uniform(me * 1.02, 0.3), 6), "latency_p99_ms": rng.randint(60, mp)}
            else:
                metrics[m] = {"error_rate": round(rng.uniform(0, me), 4), "latency_p99_ms": rng.randint(mp + 1, 3000)}
        traces.append(_trace(kind, metrics, start, battery=False))
    return traces


def make_inputs(seed, params):
    me, mp = float(params["max_error_rate"]), int(params["max_p99_ms"])
    return {"stable": str(params["stable_revision"]),
            "traces": _battery(me, mp) + _extras(random.Random(seed), me, mp)}


def _graded(oks, traces):
    """Share of battery cases right; a failing extra case costs one battery case."""
    battery = [ok for ok, t in zip(oks, traces, strict=True) if t["battery"]]
    extra_failed = any(not ok for ok, t in zip(oks, traces, strict=True) if not t["battery"])
    good = sum(battery) - (1 if extra_failed and all(battery) else 0)
    return max(good, 0), len(battery)


def _rolled_back_in_time(run, start, stable):
    return (run.get("final") == "rolled_back" and run.get("serving") == stable
            and isinstance(run.get("at"), int) and 0 <= run["at"] - start <= 5)


def _healthy_kept(cand, inputs):
    """Share of healthy canaries not rolled back: a configuration that rolls back
    everything earns nothing for rolling back bad ones."""
    idx = [i for i, t in enumerate(inputs["traces"]) if t["kind"] in ("healthy", "blip") and t["battery"]]
    return sum(cand.data[i].get("final") != "rolled_back" for i in idx) / len(idx)


def _bad_kind(cand, inputs, kind, what):
    traces = inputs["traces"]
    idx = [i for i, t in enumerate(traces) if t["kind"] == kind]
    oks = [_rolled_back_in_time(cand.data[i], traces[i]["start"], inputs["stable"]) for i in idx]
    good, total = _graded(oks, [traces[i] for i in idx])
    kept = _healthy_kept(cand, inputs)
    if good == total and kept == 1.0:
        return Verdict.ok(f"Canaries with {what} are rolled back in time.")
    msg = f"{total - good} of {total} canaries with {what} were not rolled back to the stable revision within 5 minutes"
    stuck = sum(cand.data[i].get("final") in ("stuck", "promoted", "running") for i in idx)
    if stuck:
        msg += f" ({stuck} kept serving the canary)"
    msg += "."
    if kept < 1.0:
        msg += " Credit is reduced: healthy canaries are rolled back too."
    return Verdict(good / total * kept, msg)


def check_rolls_back_on_errors(cand, ref, inputs):
    return _bad_kind(cand, inputs, "errors", "an error rate above the objective")


def check_rolls_back_on_latency(cand, ref, inputs):
    return _bad_kind(cand, inputs, "latency", "a p99 latency above the objective")


def check_healthy_release_promotes(cand, ref, inputs):
    traces = inputs["traces"]
    idx = [i for i, t in enumerate(traces) if t["kind"] in ("healthy", "blip")]
    oks = [cand.data[i].get("final") == "promoted" and (cand.data[i].get("weights") or [0])[-1] == 100
           and isinstance(cand.data[i].get("at"), int)
           and cand.data[i]["at"] < 60 for i in idx]
    good, total = _graded(oks, [traces[i] for i in idx])
    if good == total:
        return Verdict.ok("Healthy canaries are promoted in time.")
    return Verdict.share(good, total, f"{total - good} of {total} healthy canaries did not reach 100% of the traffic within 60 minutes.")


def check_gradual_exposure(cand, ref, inputs):
    oks = []
    for run in cand.data:
        weights, analysed = run.get("weights") or [], run.get("analysed") or []
        ok = bool(weights) and weights[0] <= 25 and all(0 <= w <= 100 for w in weights) and not any(
            w > 50 and a < 10 for w, a in zip(weights, analysed, strict=False))
        oks.append(ok)
    good, total = _graded(oks, inputs["traces"])
    # Exposure rules are only worth credit on a rollout that can promote at all.
    promoted = [r.get("final") == "promoted" for r, t in zip(cand.data, inputs["traces"], strict=True)
                if t["kind"] in ("healthy", "blip") and t["battery"]]
    kept = sum(promoted) / len(promoted)
    if good == total and kept == 1.0:
        return Verdict.ok("Traffic grows in steps, past half only after enough analysis.")
    msg = f"In {total - good} of {total} rollouts the canary started too big or passed 50% too early."
    if kept < 1.0:
        msg += " Credit is reduced: healthy canaries never reach full traffic."
    return Verdict(good / total * kept, msg)
