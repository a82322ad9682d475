"""Judge for psi-monitor. Every case carries its own monitoring policy (bins, epsilon,
alert threshold), as the platform's per-model overrides do, so a monitor with today's
monitor.yaml copied into code is wrong on most of them.

The battery is fixed and always runs: for each policy, a clearly shifted sample, a
stable one, and a mildly shifted sample whose policy puts the alert threshold just
under its PSI (must alert) or just over it (must stay quiet), computed here with the
specification's own arithmetic; the reference itself, reordered, under a threshold of 0
(PSI exactly on the threshold is not above it); plus samples that leave bins empty at
several epsilons. Seeded extra cases run too; they can only find more failures (an extra
failure costs one battery case), so a monitor's grade is the same on every seed.
"""

import math
import random

from app.grading.judging import Verdict, number

POLICIES = [
    {"bins": 10, "epsilon": 0.0001, "alert_threshold": 0.2},
    {"bins": 5, "epsilon": 0.001, "alert_threshold": 0.1},
    {"bins": 20, "epsilon": 0.0001, "alert_threshold": 0.25},
    {"bins": 8, "epsilon": 0.01, "alert_threshold": 0.15},
    {"bins": 12, "epsilon": 0.00001, "alert_threshold": 0.3},
]


def _edges(values, bins):
    s = sorted(values)
    return [s[min(len(s) - 1, int(len(s) * k / bins))] for k in range(1, bins)]


def _props(values, edges):
    counts = [0] * (len(edges) + 1)
    for v in values:
        i = 0
        while i < len(edges) and v >= edges[i]:
            i += 1
        counts[i] += 1
    return [c / len(values) for c in counts]


def _psi(reference, current, bins, epsilon):
    edges = _edges(reference, bins)
    total = 0.0
    for r, c in zip(_props(reference, edges), _props(current, edges), strict=True):
        r, c = max(r, epsilon), max(c, epsilon)
        total += (c - r) * math.log(c / r)
    return total


def _sample(rng, mu, sigma, n, factor=1.0):
    return [round(factor * rng.lognormvariate(mu, sigma), 3) for _ in range(n)]


def _cases(rng, policies, battery):
    cases = []
    for policy in policies:
        mu, sigma = rng.uniform(2, 4), rng.uniform(0.4, 0.8)
        reference = _sample(rng, mu, sigma, rng.randint(900, 1200))
        far = _sample(rng, mu, sigma, rng.randint(700, 1000), rng.choice([3.0, 0.3]))
        cases.append({"kind": "shifted", "policy": dict(policy), "reference": reference, "current": far})
        stable = _sample(rng, mu, sigma, rng.randint(900, 1200))
        if _psi(reference, stable, policy["bins"], policy["epsilon"]) < policy["alert_threshold"]:
            cases.append({"kind": "stable", "policy": dict(policy), "reference": reference, "current": stable})
        # Mild shifts, threshold set just under or just over the sample's PSI.
        for kind, scale in (("shifted", 0.97), ("stable", 1.03)):
            mild = _sample(rng, mu + rng.uniform(0.1, 0.3), sigma, rng.randint(800, 1000))
            value = _psi(reference, mild, policy["bins"], policy["epsilon"])
            tuned = dict(policy, alert_threshold=round(value * scale, 6))
            cases.append({"kind": kind, "policy": tuned, "reference": reference, "current": mild})
        # On the threshold: the reference's own values in another order give a PSI of
        # exactly 0 however a monitor sums it; 0 is not above a threshold of 0.
        same = list(reference)
        rng.shuffle(same)
        cases.append({"kind": "on_threshold", "policy": dict(policy, alert_threshold=0.0), "reference": reference,
                      "current": same})
        # Empty bins: the current sample lives in a narrow slice of the reference's range.
        lo = rng.uniform(0, 40)
        sparse_ref = [round(rng.uniform(0, 100), 2) for _ in range(800)]
        sparse_cur = [round(rng.uniform(lo, lo + rng.uniform(5, 15)), 2) for _ in range(600)]
        cases.append({"kind": "sparse", "policy": dict(policy), "reference": sparse_ref, "current": sparse_cur})
    for case in cases:
        case["battery"] = battery
    return cases


def make_inputs(seed):
    battery = _cases(random.Random(20240611), POLICIES, True)
    rng = random.Random(seed)
    extra_policy = {"bins": rng.randint(4, 25), "epsilon": rng.choice([1e-5, 1e-4, 1e-3]),
                    "alert_threshold": round(rng.uniform(0.05, 0.4), 3)}
    return {"cases": battery + _cases(rng, [extra_policy], False)}


def _tally(oks, cases):
    battery = [ok for ok, c in zip(oks, cases, strict=True) if c["battery"]]
    extra_failed = any(not ok for ok, c in zip(oks, cases, strict=True) if not c["battery"])
    good = sum(battery) - (1 if extra_failed and all(battery) else 0)
    return max(good, 0), len(battery)


def _decided(cand, ref, inputs, kinds):
    cases = inputs["cases"]
    idx = [i for i, c in enumerate(cases) if c["kind"] in kinds]
    oks = [cand.data[i].get("alert") is ref.data[i]["alert"] for i in idx]
    return _tally(oks, [cases[i] for i in idx])


def _rate(cand, ref, inputs, kind, want):
    """Share of battery cases of ``kind`` where the monitor says ``want``."""
    cases = inputs["cases"]
    idx = [i for i, c in enumerate(cases) if c["kind"] == kind and c["battery"]]
    return sum(cand.data[i].get("alert") is want for i in idx) / len(idx)


def check_alerts_on_shift(cand, ref, inputs):
    good, n = _decided(cand, ref, inputs, ("shifted",))
    quiet = _rate(cand, ref, inputs, "stable", False)  # alerting on everything earns nothing
    msg = "Shifted samples raise an alert." if good == n else f"{n - good} of {n} shifted samples raised no alert."
    if quiet < 1.0:
        msg += " (Credit is reduced: stable samples alert too.)"
    return Verdict(good / n * quiet, msg)


def check_quiet_when_stable(cand, ref, inputs):
    good, n = _decided(cand, ref, inputs, ("stable", "on_threshold"))
    loud = _rate(cand, ref, inputs, "shifted", True)  # never alerting earns nothing
    msg = "Stable samples raise no alert." if good == n else f"{n - good} of {n} stable samples raised an alert."
    if loud < 1.0:
        msg += " (Credit is reduced: shifted samples raise no alert either.)"
    return Verdict(good / n * loud, msg)


def _same_psi(c, r):
    cv, rv = number(c.get("psi")), number(r["psi"])
    return cv is not None and abs(cv - rv) <= 1e-6 * max(1.0, abs(rv))


def check_psi_value(cand, ref, inputs):
    cases = inputs["cases"]
    idx = [i for i, c in enumerate(cases) if c["kind"] != "sparse"]
    good, n = _tally([_same_psi(cand.data[i], ref.data[i]) for i in idx], [cases[i] for i in idx])
    if good == n:
        return Verdict.ok("PSI values are right.")
    return Verdict.share(good, n, f"{n - good} of {n} PSI values are not computed as specified.")


def check_empty_bins_safe(cand, ref, inputs):
    cases = inputs["cases"]
    idx = [i for i, c in enumerate(cases) if c["kind"] == "sparse"]
    oks = [_same_psi(cand.data[i], ref.data[i]) and cand.data[i].get("alert") is ref.data[i]["alert"] for i in idx]
    good, n = _tally(oks, [cases[i] for i in idx])
    if good == n:
        return Verdict.ok("Samples with empty bins are handled.")
    return Verdict.share(good, n, f"{n - good} of {n} samples with empty bins give a wrong or non-finite PSI.")
