"""Judge for retrain-trigger. Every case and every simulated fortnight carries its own
policy (cooldown from hours to a week, drift thresholds, label counts), so a trigger
with today's policy.yaml copied into code is wrong on most of them.

The battery is fixed and always runs: for each policy, the cooldown just under, on and
just over its length (with the two timestamps in different UTC offsets, and cooldowns
spanning days), drift just under, on and just over its threshold, new labels one under
and exactly on the minimum, one cause at a time, and a model never trained. Seeded
extra cases run too; they can only find more failures (an extra failure costs one
battery case), so a trigger's grade is the same on every seed.
"""

import random
from datetime import datetime, timedelta, timezone

from app.grading.judging import Verdict

POLICIES = [
    {"min_interval_hours": 24, "drift_threshold": 0.2, "min_new_labels": 500},
    {"min_interval_hours": 6, "drift_threshold": 0.35, "min_new_labels": 120},
    {"min_interval_hours": 72, "drift_threshold": 0.1, "min_new_labels": 2000},
    {"min_interval_hours": 168, "drift_threshold": 0.25, "min_new_labels": 50},
    {"min_interval_hours": 36, "drift_threshold": 0.15, "min_new_labels": 900},
]
ZONES = [0, 2, -5, 9, 5.5, -3]
BASE = datetime(2024, 6, 20, 7, 0, tzinfo=timezone.utc)


def _iso(t, offset_hours):
    return t.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


def _case(kind, policy, gap_hours, drift, labels, zones=(0, 0), battery=True, when=BASE):
    last = None if gap_hours is None else _iso(when - timedelta(hours=gap_hours), zones[0])
    return {"kind": kind, "policy": dict(policy), "last": last, "now": _iso(when, zones[1]),
            "drift": drift, "labels": labels, "battery": battery}


def _battery():
    cases = []
    for n, p in enumerate(POLICIES):
        cool, thr, need = p["min_interval_hours"], p["drift_threshold"], p["min_new_labels"]
        zones = (ZONES[n % len(ZONES)], ZONES[(n + 3) % len(ZONES)])
        after = cool + 5
        # Drift alone, after the cooldown: just under, on (not above), just over, far over.
        for drift in (round(thr - 0.001, 4), thr, round(thr + 0.001, 4), round(thr * 3, 4)):
            cases.append(_case("drift", p, after, drift, need // 10, zones))
        # New labels alone, after the cooldown: one under, exactly the minimum, many more.
        for labels in (need - 1, need, need * 4):
            cases.append(_case("labels", p, after, round(thr / 4, 4), labels, zones))
        # Cooldown: a strong cause each time; elapsed just under, on and just over it.
        for gap in (cool - 1 / 60, cool - 0.5, cool, cool + 1 / 60):
            cases.append(_case("cooldown", p, gap, round(thr * 3, 4), need * 5, zones))
        # Cooldowns that span days, elapsed under them by more than a day.
        if cool > 48:
            cases.append(_case("cooldown", p, cool - 25, round(thr * 3, 4), need * 5, zones))
        # The same instant written in two offsets is no time at all.
        cases.append(_case("cooldown", p, 0, round(thr * 3, 4), need * 5, (9, -5)))
    # Never trained: train, whatever the signals.
    cases.append(_case("drift", POLICIES[0], None, 0.0, 0))
    cases.append(_case("labels", POLICIES[2], None, 0.0, 0))
    return cases


def _extras(rng):
    cases = []
    for _ in range(10):
        p = {"min_interval_hours": rng.choice([3, 12, 24, 48, 96, 336]),
             "drift_threshold": round(rng.uniform(0.05, 0.5), 3),
             "min_new_labels": rng.randint(10, 5000)}
        zones = (rng.choice(ZONES), rng.choice(ZONES))
        kind = rng.choice(["drift", "labels", "cooldown"])
        if kind == "drift":
            cases.append(_case(kind, p, p["min_interval_hours"] + rng.uniform(0.1, 200),
                               round(p["drift_threshold"] + rng.choice([-1, 1]) * rng.uniform(0.001, 0.2), 4),
                               rng.randint(0, p["min_new_labels"] - 1), zones, battery=False))
        elif kind == "labels":
            cases.append(_case(kind, p, p["min_interval_hours"] + rng.uniform(0.1, 200),
                               round(p["drift_threshold"] * rng.uniform(0, 0.9), 4),
                               p["min_new_labels"] + rng.randint(-50, 50), zones, battery=False))
        else:
            cases.append(_case(kind, p, p["min_interval_hours"] * rng.uniform(0.05, 1.5),
                               round(p["drift_threshold"] * 2, 4), p["min_new_labels"] * 2, zones, battery=False))
    return cases


def _fortnight(rng, policy, start, spikes):
    hours = []
    for h in range(24 * 14):
        drift = round(policy["drift_threshold"] * 0.3, 3)
        if h in spikes:
            drift = round(policy["drift_threshold"] * 2, 3)
        hours.append({"now": _iso(start + timedelta(hours=h), ZONES[h % len(ZONES)]), "drift": drift,
                      "labels": 1 + (h % 3)})
    return {"policy": dict(policy), "last_trained_at": _iso(start - timedelta(days=2), 2), "hours": hours}


def make_inputs(seed):
    rng = random.Random(seed)
    start = datetime(2024, 6, 1, tzinfo=timezone.utc)
    simulations = [
        _fortnight(rng, POLICIES[0], start, {30, 31, 200}),
        _fortnight(rng, POLICIES[1], start, {5, 100}),       # labels trigger every couple of days
        _fortnight(rng, POLICIES[2], start, {10, 60, 250}),  # a cooldown of three days
        _fortnight(rng, POLICIES[3], start, set()),          # weekly, labels are enough
    ]
    extra = random.Random(seed)
    extra_policy = {"min_interval_hours": extra.choice([8, 30, 50]), "drift_threshold": 0.3,
                    "min_new_labels": extra.randint(100, 400)}
    simulations.append(_fortnight(extra, extra_policy, start, {extra.randint(0, 300)}))
    return {"simulations": simulations, "cases": _battery() + _extras(rng)}


def check_quiet_without_cause(cand, ref, inputs):
    sims = cand.data if isinstance(cand.data, list) else []
    oks = [i < len(sims) and sims[i] == r for i, r in enumerate(ref.data)]
    battery, extra = oks[:-1], oks[-1]
    good = sum(battery) - (1 if all(battery) and not extra else 0)
    total = len(battery)
    if good == total:
        return Verdict.ok("Over quiet fortnights the model is retrained exactly when the policy says.")
    more = sum(i < len(sims) and isinstance(sims[i], list) and len(sims[i]) > len(r) for i, r in enumerate(ref.data))
    msg = f"In {total - good} of {total} quiet fortnights, retraining does not happen when the policy says"
    if more:
        msg += f" ({more} retrain more often than the policy allows)"
    return Verdict.share(max(good, 0), total, msg + ".")


def _kind(cand, ref, inputs, kind, what):
    cases = inputs["cases"]
    idx = [i for i, c in enumerate(cases) if c["kind"] == kind]
    oks = [cand.data[i] is ref.data[i] for i in idx]
    battery = [ok for ok, i in zip(oks, idx, strict=True) if cases[i]["battery"]]
    extra_failed = any(not ok for ok, i in zip(oks, idx, strict=True) if not cases[i]["battery"])
    good = max(sum(battery) - (1 if extra_failed and all(battery) else 0), 0)
    total = len(battery)
    # Saying no is only worth credit from a trigger that also says yes when it should.
    wanted = [i for i, (r, c) in enumerate(zip(ref.data, cases, strict=True)) if r and c["battery"]]
    share = sum(cand.data[i] is True for i in wanted) / len(wanted)
    msg = f"Right decision for {what}." if good == total else f"Wrong decision for {total - good} of {total} {what}."
    if share < 1.0:
        msg += " (Credit is reduced: needed retraining is skipped.)"
    return Verdict(good / total * share, msg)


def check_fires_on_drift(cand, ref, inputs):
    return _kind(cand, ref, inputs, "drift", "cases with drift near or beyond the threshold after the cooldown")


def check_fires_on_new_labels(cand, ref, inputs):
    return _kind(cand, ref, inputs, "labels", "cases with about the minimum of new labels after the cooldown")


def check_cooldown_respected(cand, ref, inputs):
    return _kind(cand, ref, inputs, "cooldown", "cases close to the end of a cooldown")
