"""Judge for psi-monitor. Shifted pairs are drawn far beyond the alert threshold and
stable pairs far below it, so the reference's decisions are unambiguous."""

import random

from app.grading.judging import Verdict, number


def make_inputs(seed):
    rng = random.Random(seed)
    pairs, kinds = [], []
    order = ["stable"] * 4 + ["shifted"] * 4
    rng.shuffle(order)
    for kind in order:
        mu, sigma = rng.uniform(2, 4), rng.uniform(0.4, 0.8)
        reference = [round(rng.lognormvariate(mu, sigma), 3) for _ in range(rng.randint(900, 1200))]
        if kind == "stable":
            current = [round(rng.lognormvariate(mu, sigma), 3) for _ in range(rng.randint(900, 1200))]
        else:
            factor = rng.choice([rng.uniform(2.5, 4), rng.uniform(0.2, 0.4)])
            current = [round(factor * rng.lognormvariate(mu, sigma), 3) for _ in range(rng.randint(900, 1200))]
        pairs.append({"reference": reference, "current": current})
        kinds.append(kind)
    sparse = []
    for _ in range(3):
        reference = [round(rng.uniform(0, 100), 2) for _ in range(800)]
        lo = rng.uniform(0, 40)
        current = [round(rng.uniform(lo, lo + 10), 2) for _ in range(600)]
        sparse.append({"reference": reference, "current": current})
    return {"pairs": pairs, "kinds": kinds, "sparse_pairs": sparse}


def _decisions(cand, ref, inputs, kind):
    idx = [i for i, k in enumerate(inputs["kinds"]) if k == kind]
    good = sum(cand.data[i]["alert"] == ref.data[i]["alert"] for i in idx)
    return good, len(idx)


def check_alerts_on_shift(cand, ref, inputs):
    good, n = _decisions(cand, ref, inputs, "shifted")
    if good == n:
        return Verdict.ok("Shifted samples raise an alert.")
    return Verdict.share(good, n, f"{n - good} of {n} clearly shifted samples raised no alert.")


def check_quiet_when_stable(cand, ref, inputs):
    good, n = _decisions(cand, ref, inputs, "stable")
    if good == n:
        return Verdict.ok("Stable samples raise no alert.")
    return Verdict.share(good, n, f"{n - good} of {n} stable samples raised an alert.")


def check_psi_value(cand, ref, inputs):
    good = 0
    for c, r in zip(cand.data, ref.data):
        cv, rv = number(c["psi"]), number(r["psi"])
        good += cv is not None and abs(cv - rv) <= 1e-6 * max(1.0, abs(rv))
    n = len(ref.data)
    if good == n:
        return Verdict.ok("PSI values are right.")
    return Verdict.share(good, n, f"{n - good} of {n} PSI values are not computed as specified.")


def check_empty_bins_safe(cand, ref, inputs):
    good = 0
    for c, r in zip(cand.data, ref.data):
        cv, rv = number(c["psi"]), number(r["psi"])
        good += cv is not None and abs(cv - rv) <= 1e-6 * max(1.0, abs(rv)) and c["alert"] == r["alert"]
    n = len(ref.data)
    if good == n:
        return Verdict.ok("Samples with empty bins are handled.")
    return Verdict.share(good, n, f"{n - good} of {n} samples with empty bins give a wrong or non-finite PSI.")
