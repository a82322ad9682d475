"""Judge for llm-eval-gate.

Every case is one night of the release gate: a policy (metric, judge scale, where the
slice lives, limits) and two judged runs of the same evaluation set. Cases come in
kinds, one fault at a time, on and either side of each limit the brief states. The
battery is fixed (built from a constant seed); the run's seed only adds extra cases.
A submission's decisions are compared with the reference's on the same cases.
"""

import math
import random

from app.grading.judging import Verdict, close

METRICS = ["faithfulness", "groundedness", "answer_correctness", "citation_support"]
SLICE_FIELDS = ["metadata.slice", "metadata.topic", "tags.segment", "meta.intent.name"]
SCALES = [(1, 5), (1, 10), (0, 4), (1, 7), (0, 10), (2, 6)]
WORDS = ["billing", "refunds", "returns", "shipping", "login", "warranty", "pricing", "privacy",
         "invoices", "delivery", "accounts", "devices", "coupons", "orders", "recalls"]


def _variant_policy(rng, variant=None):
    lo, hi = rng.choice(SCALES)
    return {
        "metric": variant["metric"] if variant else rng.choice(METRICS),
        "judge_scale": {"min": lo, "max": hi},
        "slice_field": f"metadata.{variant['slice_key']}" if variant else rng.choice(SLICE_FIELDS),
        "overall": {"max_drop": rng.choice([0.01, 0.02, 0.03])},
        "per_slice": {"max_drop": rng.choice([0.04, 0.05, 0.06, 0.08]), "min_examples": rng.choice([20, 30, 40])},
        "missing": {"max_share": rng.choice([0.01, 0.02, 0.05])},
    }


def _put(record, path, value):
    keys = path.split(".")
    node = record
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


def _shift(scores, points, lo, hi):
    """Lower (points > 0) or raise (points < 0) the total of ``scores`` by exactly
    ``points``, one point per example in turn, staying on the scale."""
    out = list(scores)
    step = -1 if points > 0 else 1
    left = abs(points)
    while left:
        moved = False
        for i, s in enumerate(out):
            if left and lo <= s + step <= hi:
                out[i] = s + step
                left -= 1
                moved = True
        if not moved:
            raise ValueError("cannot shift scores that far")
    return out


UNSLICED_KINDS = ("slice", "small", "clean")


def _case(rng, kind, policy, slices, extra, constant=False):
    """``slices``: [(name, n, drop_points, missing)]. Drop points lower the candidate's
    total on that slice (negative raise it); missing examples lose their score."""
    lo, hi = policy["judge_scale"]["min"], policy["judge_scale"]["max"]
    metric = policy["metric"]
    baseline, candidate = [], []
    for name, n, drop, missing in slices:
        if constant is True or (constant and name in constant):
            base = [hi - 1] * n
        else:
            base = [rng.randint(lo + (hi - lo) // 2, hi - 1) for _ in range(n)]
        cand = _shift(base, drop, lo, hi)
        gone = set(rng.sample(range(n), missing))
        for i in range(n):
            ident = f"{name[:3]}{i}"
            for run, value in ((baseline, base[i]), (candidate, None if i in gone else cand[i])):
                record = {"id": ident, "scores": {metric: value, "fluency": rng.randint(lo, hi)}}
                _put(record, policy["slice_field"], name)
                run.append(record)
    if kind in UNSLICED_KINDS:
        # Smoke-test examples the harness exports without a slice: nothing at the
        # path's root, a root without the next key, a root that is text.
        keys = policy["slice_field"].split(".")
        for j, shape in enumerate(({}, {keys[0]: {"locale": "en-GB"}}, {keys[0]: f"{keys[1]}-unknown"})):
            for run in (baseline, candidate):
                run.append({"id": f"smoke{j}", "scores": {metric: hi - 1, "fluency": lo}, **shape})
    order = list(range(len(baseline)))
    rng.shuffle(order)
    return {"kind": kind, "extra": extra, "policy": policy,
            "baseline": [baseline[i] for i in order], "candidate": [candidate[i] for i in order]}


def _names(rng, k):
    return rng.sample(WORDS, k)


def _cases(rng, extra, variant=None):
    """One round of every kind (with the variant's metric and slice field, if given)."""
    cases = []

    def _policy(rng):
        return _variant_policy(rng, variant)

    # Overall drop just above, on and just below the overall limit, spread evenly so no
    # slice comes near its own limit.
    for offset in (1, 0, -1):
        p = _policy(rng)
        rng_ = p["judge_scale"]["max"] - p["judge_scale"]["min"]
        names = _names(rng, 4)
        n = 25
        total = round(p["overall"]["max_drop"] * 4 * n * rng_) + offset
        parts = [total // 4 + (1 if i < total % 4 else 0) for i in range(4)]
        cases.append(_case(rng, "overall", p, [(nm, n, d, 0) for nm, d in zip(names, parts)], extra))
    # Slices of unequal size (the small one below the slice minimum): the mean over all
    # examples just above the limit from a drop on the big slice, and just below it from
    # a drop on the small one, so that a mean of slice means reads both the other way.
    for big_drops in (True, False):
        p = _policy(rng)
        rng_ = p["judge_scale"]["max"] - p["judge_scale"]["min"]
        big, small = _names(rng, 2)
        exact = p["overall"]["max_drop"] * 100 * rng_
        total = math.floor(exact + 1e-6) + 1 if big_drops else math.ceil(exact - 1e-6) - 1
        slices = [(big, 90, total if big_drops else 0, 0), (small, 10, 0 if big_drops else total, 0)]
        cases.append(_case(rng, "overall", p, slices, extra))
    # One slice just above, on or just below its own limit; the others improve so the
    # overall mean does not drop.
    for offset in (1, 0, -1, 2):
        p = _policy(rng)
        rng_ = p["judge_scale"]["max"] - p["judge_scale"]["min"]
        names = _names(rng, 5)
        n = 50 * rng.choice([1, 2])
        n = max(n, p["per_slice"]["min_examples"])
        d = round(p["per_slice"]["max_drop"] * n * rng_) + offset
        slices = [(names[0], n, d, 0)] + [(nm, 30, -((d + 3) // 4), 0) for nm in names[1:]]
        cases.append(_case(rng, "slice", p, slices, extra))
    # The judge's scale starts above zero: drops just above and just below the limit
    # once mapped onto 0..1 from the scale's own ends.
    # 5% over the limit and 5% under it, on scales whose lower end is at least a fifth
    # of the range, so that measuring from zero instead of the scale's end reads the
    # drop over the limit as under it.
    for factor in (1.05, 0.95):
        p = _policy(rng)
        lo, hi = rng.choice([(1, 5), (2, 6), (1, 4), (2, 7), (3, 9), (2, 10)])
        p["judge_scale"] = {"min": lo, "max": hi}
        names = _names(rng, 3)
        n = 40
        exact = p["overall"]["max_drop"] * factor * 3 * n * (hi - lo)
        total = math.ceil(exact) if factor > 1 else math.floor(exact)
        parts = [total // 3 + (1 if i < total % 3 else 0) for i in range(3)]
        cases.append(_case(rng, "scale", p, [(nm, n, dd, 0) for nm, dd in zip(names, parts)], extra))
    # A small slice collapses: one example under the minimum (not gated alone) and at it.
    for offset in (-1, 0):
        p = _policy(rng)
        rng_ = p["judge_scale"]["max"] - p["judge_scale"]["min"]
        names = _names(rng, 4)
        n = p["per_slice"]["min_examples"] + offset
        d = n * max(1, rng_ // 2)
        slices = [(names[0], n, d, 0)] + [(nm, 30, -((d + 2) // 3), 0) for nm in names[1:]]
        cases.append(_case(rng, "small", p, slices, extra))
    # At the minimum in the run, one under it in scored examples: the judge left one
    # unscored, so the slice is not gated alone (and the run stays under the missing share).
    # Its production scores are all alike, so leaving the unscored example out of
    # production's mean too (a paired reading) changes nothing.
    p = _policy(rng)
    rng_ = p["judge_scale"]["max"] - p["judge_scale"]["min"]
    names = _names(rng, 4)
    n = p["per_slice"]["min_examples"]
    d = n * max(1, rng_ // 2)
    slices = [(names[0], n, d, 1)] + [(nm, 30, -((d + 2) // 3), 0) for nm in names[1:]]
    cases.append(_case(rng, "small", p, slices, extra, constant={names[0]}))
    # Unscored examples in the candidate's run: just above, at and just below the share,
    # under shares other than the shipped policy's too.
    for offset, share in ((1, 0.01), (0, 0.05), (-1, 0.02)):
        p = _policy(rng)
        p["missing"]["max_share"] = share
        names = _names(rng, 4)
        n = 25
        allowed = round(p["missing"]["max_share"] * 4 * n)
        missing = allowed + offset
        parts = [missing // 4 + (1 if i < missing % 4 else 0) for i in range(4)]
        cases.append(_case(rng, "missing", p, [(nm, n, 0, m) for nm, m in zip(names, parts)], extra, constant=True))
    # A clear improvement everywhere.
    p = _policy(rng)
    names = _names(rng, 4)
    cases.append(_case(rng, "clean", p, [(nm, 30, -rng.randint(3, 12), 0) for nm in names], extra))
    return cases


def make_inputs(seed, params):
    cases = _cases(random.Random("llm-eval-gate battery v1"), extra=False)
    if params:
        variant = _cases(random.Random("llm-eval-gate variant battery v1"), extra=False, variant=params)
        cases += [c for c in variant if c["kind"] in ("overall", "slice", "missing")]
    cases += _cases(random.Random(seed), extra=True)
    return {"cases": cases}


def _same(c, r):
    return "error" not in c and c.get("passed") is r["passed"]


def _score(cand, ref, inputs, kinds, what, same=_same, decisions=True):
    """Share of the battery's cases of ``kinds`` right. For decisions, the share of
    builds rightly blocked times the share rightly shipped, so that blocking (or
    shipping) everything earns nothing. Seeded extra cases can only cost a case."""
    cases = inputs["cases"]
    fixed = [i for i, c in enumerate(cases) if c["kind"] in kinds and not c["extra"]]
    extra = [i for i, c in enumerate(cases) if c["kind"] in kinds and c["extra"]]
    right = {i for i in fixed if same(cand.data[i], ref.data[i])}
    wrong = len(fixed) - len(right)
    if decisions:
        block = [i for i in fixed if not ref.data[i]["passed"]]
        ship = [i for i in fixed if ref.data[i]["passed"]]
        fraction = 1.0
        for group in (block, ship):
            if group:
                fraction *= sum(i in right for i in group) / len(group)
    else:
        fraction = len(right) / len(fixed)
    if fraction == 1.0 and not all(same(cand.data[i], ref.data[i]) for i in extra):
        wrong, fraction = 1, 1.0 - 1.0 / len(fixed)
    if fraction == 1.0:
        return Verdict.ok(f"Right for every one of the {what}.")
    return Verdict(fraction, f"Wrong for {max(wrong, 1)} of {len(fixed)} {what}.")


def check_overall_regression_blocks(cand, ref, inputs):
    return _score(cand, ref, inputs, {"overall", "clean"}, "nights with an even drop across the set")


def check_slice_regression_blocks(cand, ref, inputs):
    return _score(cand, ref, inputs, {"slice"}, "nights where one slice drops")


def check_judge_scale_respected(cand, ref, inputs):
    return _score(cand, ref, inputs, {"scale"}, "nights judged on scales that do not start at zero")


def check_small_slices_not_gated(cand, ref, inputs):
    return _score(cand, ref, inputs, {"small"}, "nights where a small slice collapses")


def check_unscored_examples_count(cand, ref, inputs):
    return _score(cand, ref, inputs, {"missing"}, "nights with unscored examples")


def _same_table(c, r):
    return "error" not in c and close(c.get("slices"), r["slices"], 1e-6)


def check_slice_table_reported(cand, ref, inputs):
    kinds = {c["kind"] for c in inputs["cases"]}
    return _score(cand, ref, inputs, kinds, "per-slice tables (means on 0..1 and counts)", same=_same_table,
                  decisions=False)
