"""Judge for retrain-trigger. Policies are format-2 files (`policies/FORMAT.md`) with the
variant's drift-threshold key next to the monitoring's `page_above` decoy, written into
the sandbox's `policies/` and read through the scheduler, as in production. Every case
and simulated fortnight names its own policy (cooldowns from 90 minutes to a week in
every unit, thresholds with the paging threshold above or below them, label minimums),
so a trigger with today's policies copied into code is wrong on most of them.

The battery is fixed and always runs: for each policy, the cooldown just under, on and
just over its length (the two timestamps in different UTC offsets, cooldowns spanning
days), drift just under, on, just over its threshold and between it and the paging
threshold, new labels one under and exactly on the minimum, one cause at a time, a model
never trained, and policy files the trigger cannot follow (format 1, a setting missing
or under another name, a section written as a value, another format, an empty file).
Seeded extras run too; they can only find more failures (an extra failure costs one
battery case), so a trigger's grade is the same on every seed.
"""

import random
from datetime import datetime, timedelta, timezone

from app.grading.judging import Verdict

# (cooldown as format 2 writes it, its hours, drift threshold, paging threshold, min new labels)
POLICIES = [
    ("24h", 24, 0.2, 0.12, 500),
    ("6h", 6, 0.35, 0.4, 120),
    ("3d", 72, 0.1, 0.08, 2000),
    ("1w", 168, 0.25, 0.3, 50),
    ("90m", 1.5, 0.15, 0.1, 900),
    ("36h", 36, 0.3, 0.2, 300),
]
UNITS = {"m": 1 / 60, "h": 1, "d": 24, "w": 168}
ZONES = [0, 2, -5, 9, 5.5, -3]
BASE = datetime(2024, 6, 20, 7, 0, tzinfo=timezone.utc)


def _iso(t, offset_hours):
    return t.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


def _text(key, cooldown, thr, page, need):
    return (f"# generated policy\npolicy_format: 2\ncooldown: {cooldown}\ndrift:\n  {key}: {thr}\n"
            f"  page_above: {page}\nlabels:\n  min_new: {need}\n")


def _broken(key):
    """Policy files a trigger cannot follow: each must be refused."""
    good = {"cooldown": "24h", "drift": {key: 0.2, "page_above": 0.12}, "labels": {"min_new": 500}}

    def doc(fmt=2, **changes):
        lines = [] if fmt is None else [f"policy_format: {fmt}"]
        for name, value in dict(good, **changes).items():
            if value is None:
                continue
            if isinstance(value, dict):
                lines.append(f"{name}:")
                lines += [f"  {k}: {v}" for k, v in value.items()]
            else:
                lines.append(f"{name}: {value}")
        return "\n".join(lines) + "\n"

    return {
        "format-1": "min_interval_hours: 24\ndrift_threshold: 0.2\nmin_new_labels: 500\n",
        "no-threshold": doc(drift={"page_above": 0.12}),
        "format-1-threshold": doc(drift={"drift_threshold": 0.2, "page_above": 0.12}),
        "no-cooldown": doc(cooldown=None),
        "cooldown-without-unit": doc(cooldown="36"),
        "no-labels": doc(labels=None),
        "format-1-labels": doc(labels={"min_new_labels": 500}),
        "drift-as-value": doc(drift=0.2),
        "labels-as-value": doc(labels=500),
        "format-3": doc(fmt=3),
        "format-missing": doc(fmt=None),
        "empty": "# policy pending review\n",
    }


def _case(kind, policy, gap_hours, drift, labels, zones=(0, 0), battery=True, when=BASE):
    last = None if gap_hours is None else _iso(when - timedelta(hours=gap_hours), zones[0])
    return {"kind": kind, "policy": policy, "last": last, "now": _iso(when, zones[1]),
            "drift": drift, "labels": labels, "battery": battery}


def _battery():
    cases = []
    for n, (_, cool, thr, page, need) in enumerate(POLICIES):
        name = f"p{n}"
        zones = (ZONES[n % len(ZONES)], ZONES[(n + 3) % len(ZONES)])
        after = cool + 24  # well past the cooldown, whatever the offsets
        # Drift alone, after the cooldown: under, on (not above), just over, far over, and
        # between the threshold and the paging threshold.
        for drift in (round(thr - 0.001, 4), thr, round(thr + 0.001, 4), round(thr * 3, 4), round((thr + page) / 2, 4)):
            cases.append(_case("drift", name, after, drift, need // 10, zones))
        # New labels alone, after the cooldown: one under, exactly the minimum, many more.
        for labels in (need - 1, need, need * 4):
            cases.append(_case("labels", name, after, round(min(thr, page) / 4, 4), labels, zones))
        # Cooldown: a strong cause each time; elapsed just under, on and just over it.
        for gap in (cool - 1 / 60, cool * 0.6, cool, cool + 1 / 60):
            cases.append(_case("cooldown", name, gap, round(thr * 3, 4), need * 5, zones))
        # Cooldowns that span days, elapsed under them by more than a day.
        if cool > 48:
            cases.append(_case("cooldown", name, cool - 25, round(thr * 3, 4), need * 5, zones))
        # The same instant written in two offsets is no time at all.
        cases.append(_case("cooldown", name, 0, round(thr * 3, 4), need * 5, (9, -5)))
    # Never trained: train, whatever the signals.
    cases.append(_case("drift", "p0", None, 0.0, 0))
    cases.append(_case("labels", "p2", None, 0.0, 0))
    return cases


def _random_policy(rng, key):
    unit = rng.choice("mhdw")
    count = {"m": rng.randint(30, 600), "h": rng.randint(1, 96), "d": rng.randint(1, 10), "w": rng.randint(1, 2)}[unit]
    thr = round(rng.uniform(0.05, 0.5), 3)
    page = round(thr + rng.choice([-1, 1]) * rng.uniform(0.01, 0.05), 3)
    need = rng.randint(10, 5000)
    return _text(key, f"{count}{unit}", thr, page, need), count * UNITS[unit], thr, need


def _extras(rng, key, policies):
    cases = []
    for i in range(10):
        name = f"x{i}"
        policies[name], cool, thr, need = _random_policy(rng, key)
        zones = (rng.choice(ZONES), rng.choice(ZONES))
        kind = rng.choice(["drift", "labels", "cooldown"])
        if kind == "drift":
            cases.append(_case(kind, name, cool + rng.uniform(0.1, 200),
                               round(thr + rng.choice([-1, 1]) * rng.uniform(0.001, 0.2), 4),
                               rng.randint(0, need - 1), zones, battery=False))
        elif kind == "labels":
            cases.append(_case(kind, name, cool + rng.uniform(0.1, 200), round(thr * rng.uniform(0, 0.5), 4),
                               need + rng.randint(-50, 50), zones, battery=False))
        else:
            cases.append(_case(kind, name, cool * rng.uniform(0.05, 1.5), round(thr * 2, 4), need * 2, zones,
                               battery=False))
    return cases


def _fortnight(policy, thr, start, spikes):
    hours = []
    for h in range(24 * 14):
        drift = round(thr * 2, 3) if h in spikes else round(thr * 0.3, 3)
        hours.append({"now": _iso(start + timedelta(hours=h), ZONES[h % len(ZONES)]), "drift": drift,
                      "labels": 1 + (h % 3)})
    return {"policy": policy, "last_trained_at": _iso(start - timedelta(days=2), 2), "hours": hours}


def make_inputs(seed, params):
    key = params["drift_key"]
    rng = random.Random(seed)
    policies = {f"p{n}": _text(key, p[0], p[2], p[3], p[4]) for n, p in enumerate(POLICIES)}
    broken = _broken(key)
    policies.update(broken)
    start = datetime(2024, 6, 1, tzinfo=timezone.utc)
    simulations = [
        _fortnight("p0", 0.2, start, {30, 31, 200}),
        _fortnight("p1", 0.35, start, {5, 100}),        # labels trigger every couple of days
        _fortnight("p2", 0.1, start, {10, 60, 250}),    # a cooldown of three days
        _fortnight("p3", 0.25, start, set()),           # weekly, labels are enough
        _fortnight("p4", 0.15, start, {3, 4, 5, 40}),   # a cooldown of 90 minutes
    ]
    cases = _battery() + _extras(rng, key, policies)
    policies["xs"], _, thr, _ = _random_policy(rng, key)
    simulations.append(_fortnight("xs", thr, start, {rng.randint(0, 300)}))
    policy_files = [f"p{n}" for n in range(len(POLICIES))] + sorted(broken)
    return {"policies": policies, "simulations": simulations, "cases": cases,
            "policy_files": policy_files + [f"x{i}" for i in range(10)], "battery_policy_files": len(policy_files)}


def check_quiet_without_cause(cand, ref, inputs):
    sims = cand.data if isinstance(cand.data, list) else []
    oks = [i < len(sims) and sims[i] == r for i, r in enumerate(ref.data)]
    battery, extra = oks[:-1], oks[-1]
    good = sum(battery) - (1 if all(battery) and not extra else 0)
    total = len(battery)
    if good == total:
        return Verdict.ok("Over quiet fortnights the model is retrained exactly when its policy says.")
    more = sum(i < len(sims) and isinstance(sims[i], list) and len(sims[i]) > len(r) for i, r in enumerate(ref.data))
    msg = f"In {total - good} of {total} quiet fortnights, retraining does not happen when the policy says"
    if more:
        msg += f" ({more} retrain more often than the policy allows)"
    return Verdict.share(max(good, 0), total, msg + ".")


def _kind(cand, ref, inputs, kind, what):
    cases = inputs["cases"]
    data = cand.data if isinstance(cand.data, list) and len(cand.data) == len(cases) else [None] * len(cases)
    idx = [i for i, c in enumerate(cases) if c["kind"] == kind]
    oks = [data[i] is ref.data[i] for i in idx]
    battery = [ok for ok, i in zip(oks, idx, strict=True) if cases[i]["battery"]]
    extra_failed = any(not ok for ok, i in zip(oks, idx, strict=True) if not cases[i]["battery"])
    good = max(sum(battery) - (1 if extra_failed and all(battery) else 0), 0)
    total = len(battery)
    # Saying no is only worth credit from a trigger that also says yes when it should.
    wanted = [i for i in idx if ref.data[i] is True and cases[i]["battery"]]
    share = sum(data[i] is True for i in wanted) / len(wanted)
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


def check_unusable_policy_refused(cand, ref, inputs):
    n = inputs["battery_policy_files"]
    data = cand.data if isinstance(cand.data, list) and len(cand.data) == len(ref.data) else [None] * len(ref.data)
    oks = [c == r for c, r in zip(data, ref.data, strict=True)]
    good = sum(oks[:n]) - (1 if all(oks[:n]) and not all(oks[n:]) else 0)
    if good == n:
        return Verdict.ok("Policy files the trigger cannot follow are refused; valid ones are read.")
    wrongly_refused = sum(d != "loaded" for d, r in zip(data, ref.data, strict=True) if r == "loaded")
    msg = f"{n - good} of {n} policy files are handled wrongly (a PolicyError for an unusable one, read otherwise)"
    if wrongly_refused:
        msg += f"; {wrongly_refused} valid ones are not read"
    return Verdict.share(max(good, 0), n, msg + ".")
