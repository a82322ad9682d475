"""Judge for latency-slo-alert: runs in the grader on data only.

Rules are written in the variant's format: the percentile and the resolve threshold
sit under the keys its monitor.yaml uses (the tests' keys are another format's).

A fixed battery always runs: incident and degraded-period replays under three rules
(windows, percentiles and thresholds differ), percentile windows of many sizes with
values exactly on and just either side of the firing threshold, time windows at their
edges and at any traffic level, and single alert transitions exactly on and just
either side of both thresholds. Seeded extra cases run too; they can only find more
failures (an extra failure costs one battery case), so an alert's grade is the same on
every seed. (Replays are battery only: they are whole incidents, and the single windows
and transitions already probe every rule the replays exercise.)"""

import math
import random

from app.grading.judging import Verdict, close

RATE = 1.5  # requests per second in the replays


def _fast(rng):
    return round(min(170.0, rng.lognormvariate(math.log(70), 0.3)), 1)


def _traffic(rng, t0, minutes, rule, rate=RATE):
    """Requests over len(minutes) minutes; minutes[m] = (share slow, share medium)."""
    out, t = [], t0
    while True:
        t += rng.expovariate(rate)
        m = int((t - t0) // 60)
        if m >= len(minutes):
            return out
        slow, medium = minutes[m]
        r = rng.random()
        if r < slow:
            ms = round(rng.uniform(500, 2000), 1)
        elif r < slow + medium:
            ms = round(rng.uniform(rule["resolve_below_ms"] + 15, rule["fire_above_ms"] - 15), 1)
        else:
            ms = _fast(rng)
        out.append([round(t, 3), ms])


def _sim(rng, t0, minutes, rule):
    return {
        "rule": rule,
        "requests": _traffic(rng, t0, minutes, rule),
        "evaluations": [t0 + 60.0 * k for k in range(1, len(minutes) + 1)],
    }


def _tail(rule):
    """Share of slow requests in a bad minute: well past the rule's percentile."""
    return 0.05 if rule.get("percentile", 99) >= 99 else 0.15


def _incident(rng, t0, rule, noise=0.0):
    """Healthy minutes (with a rare outlier when ``noise``), then a tail-latency
    incident of 8-12 minutes, then healthy again."""
    start = rng.randint(10, 14)
    length = rng.randint(8, 12)
    tail = _tail(rule)
    minutes = [(noise, 0.0)] * start + [(tail, 0.0)] * length
    minutes += [(noise, 0.0)] * (40 - len(minutes))
    return _sim(rng, t0, minutes, rule)


def _bursty(rng, t0, rule):
    """A degraded half hour: short bursts of slow requests over a floor of requests
    that are slow-ish but not slow enough to page."""
    quiet = rule["window_seconds"] // 60 + rng.randint(1, 2)
    minutes = [(0.0, 0.0)] * rng.randint(5, 8)
    for _ in range(rng.randint(3, 4)):
        floor = 0.06 if rule.get("percentile", 99) >= 99 else 0.2
        minutes += [(_tail(rule), 0.05)] * rng.randint(1, 2) + [(0.0, floor)] * quiet
    minutes += [(0.0, 0.0)] * (50 - len(minutes))
    return _sim(rng, t0, minutes, rule)


def _ranks_are_safe(q, n):
    """Avoid sizes where a float ceil(q / 100 * n) lands on the next rank."""
    return math.ceil(q / 100 * n) == -(-q * n // 100)


def _percentile_cases(rng, t0, sizes=None):
    cases = []
    sizes = sizes or [100, 100, 200, 1, rng.randint(5, 40), rng.randint(41, 99), rng.randint(101, 250), 20]
    for n in sizes:
        q = rng.choice([99, 95, 90])
        while not _ranks_are_safe(q, n):
            q = rng.choice([99, 95, 90])
        now = t0 + rng.uniform(0, 86400)
        spread = rng.choice([(20, 900), (40, 400), (60, 3000)])
        latencies = [round(rng.uniform(*spread), 1) for _ in range(n)]
        times = sorted(round(now - rng.uniform(1, 290), 3) for _ in range(n))
        cases.append({
            "now": now,
            "rule": {"percentile": q, "window_seconds": 300, "fire_above_ms": rng.choice([250, 300, 350])},
            "requests": [[ts, ms] for ts, ms in zip(times, latencies, strict=True)],
        })
    return cases


def _window_cases(rng, t0, rule):
    w = rule["window_seconds"]
    cases = []

    def case(requests, now):
        requests.sort()
        cases.append({"now": now, "rule": {"window_seconds": w}, "requests": requests})

    for _ in range(3):  # busy minutes: more requests in the window than seconds in it
        now = t0 + rng.uniform(0, 86400)
        reqs = []
        for _ in range(4 * w):
            ts = now - rng.uniform(0.001, w - 0.01)
            slow = ts < now - w / 2 and rng.random() < 0.06
            reqs.append([round(ts, 3), round(rng.uniform(600, 2000), 1) if slow else _fast(rng)])
        case(reqs, now)
    for _ in range(3):  # a quiet night after an incident that is already over
        now = t0 + rng.uniform(0, 86400)
        reqs = [[round(now - rng.uniform(0.01, w - 0.01), 3), _fast(rng)] for _ in range(w // 3)]
        for _ in range(w):
            ts = round(now - w - rng.uniform(0.01, 400), 3)
            reqs.append([ts, round(rng.uniform(600, 2000), 1) if rng.random() < 0.3 else _fast(rng)])
        case(reqs, now)
    now = round(t0 + rng.uniform(0, 86400), 3)  # the window's edges
    reqs = [[round(now - rng.uniform(1, w - 1), 3), _fast(rng)] for _ in range(20)]
    reqs += [[now - w, 4800.0], [now, _fast(rng)]]
    case(reqs, now)
    now = round(t0 + rng.uniform(0, 86400), 3)  # a slow request at the evaluation time itself
    reqs = [[round(now - rng.uniform(1, w - 1), 3), _fast(rng)] for _ in range(20)]
    reqs += [[now - w, _fast(rng)], [now, 4800.0]]
    case(reqs, now)
    now = t0 + rng.uniform(0, 86400)  # nothing in the window at all
    case([[round(now - w - rng.uniform(1, 600), 3), round(rng.uniform(600, 2000), 1)] for _ in range(12)], now)
    return cases


BATTERY_SEED = 20240613
RULES = [
    {"window_seconds": 120, "fire_above_ms": 300, "resolve_below_ms": 200},
    {"window_seconds": 180, "fire_above_ms": 350, "resolve_below_ms": 220, "percentile": 95},
    {"window_seconds": 300, "fire_above_ms": 450, "resolve_below_ms": 250, "percentile": 99},
]


def _edge_percentile_cases(rng, t0):
    """Windows whose percentile lands exactly on the firing threshold, just under it
    and just over it: "above" means strictly above."""
    cases = []
    for q, n, delta in [(99, 100, 0.0), (95, 40, 0.0), (90, 20, 0.1), (99, 200, -0.1), (95, 60, 0.0)]:
        now = t0 + rng.uniform(0, 86400)
        latencies = sorted(round(rng.uniform(40, 900), 1) for _ in range(n))
        value = latencies[math.ceil(q * n / 100) - 1]
        rng.shuffle(latencies)
        times = sorted(round(now - rng.uniform(1, 110), 3) for _ in range(n))
        cases.append({
            "now": now,
            "rule": {"percentile": q, "window_seconds": 120, "fire_above_ms": round(value + delta, 1)},
            "requests": [[ts, ms] for ts, ms in zip(times, latencies, strict=True)],
        })
    return cases


def _transitions():
    """(firing, value, rule) on and around both thresholds, and without a value."""
    out = []
    for rule in RULES:
        fire, resolve = rule["fire_above_ms"], rule["resolve_below_ms"]
        for firing, value in [(False, fire), (False, fire + 0.1), (False, fire - 0.1), (False, resolve - 50),
                              (True, resolve), (True, resolve - 0.1), (True, resolve + 0.1), (True, fire + 100),
                              (True, None), (False, None), (True, (fire + resolve) / 2),
                              (False, (fire + resolve) / 2)]:
            out.append({"firing": firing, "value_ms": value, "rule": dict(rule)})
    return out


def _keyed(rule, params):
    """A rule in SRE's format of the variant: the percentile and the resolve threshold
    under the keys its monitor.yaml uses."""
    names = {"percentile": params["percentile_key"], "resolve_below_ms": params["resolve_key"]}
    return {names.get(k, k): v for k, v in rule.items()}


def make_inputs(seed, params):
    inputs = _canonical_inputs(seed)
    for part in ("incident", "bursty", "percentile_cases", "window_cases", "transitions"):
        for case in inputs[part]:
            case["rule"] = _keyed(case["rule"], params)
    return inputs


def _canonical_inputs(seed):
    b = random.Random(BATTERY_SEED)
    t0 = 1_718_280_000.0
    x = random.Random(seed)
    extra_rule = {"window_seconds": x.choice([120, 240]), "fire_above_ms": x.choice([280, 320, 400]),
                  "resolve_below_ms": x.choice([180, 210]), "percentile": x.choice([95, 99])}
    return {
        "incident": [_incident(b, t0 + 10000 * k, r) for k, r in enumerate(RULES)]
        + [_incident(b, t0 + 50000, RULES[2], noise=0.002)],
        "bursty": [_bursty(b, t0 + 7200 + 10000 * k, r) for k, r in enumerate(RULES)],
        "percentile_cases": _percentile_cases(b, t0, [100, 100, 200, 1, 17, 63, 180, 20, 2, 37])
        + _edge_percentile_cases(b, t0)
        + _percentile_cases(x, t0, [x.randint(3, 250) for _ in range(3)]),
        "window_cases": [c for r in RULES[:2] for c in _window_cases(b, t0, r)] + _window_cases(x, t0, extra_rule)[:3],
        "transitions": _transitions(),
        "battery_counts": {
            "incident": len(RULES) + 1, "bursty": len(RULES), "percentile_cases": 15,
            "window_cases": 18,
        },
    }


def _tally(scores, n_battery):
    """Mean score over the battery; a failing extra case costs one battery case."""
    battery, extras = scores[:n_battery], scores[n_battery:]
    total = sum(battery)
    if total == n_battery and any(e < 1 for e in extras):
        total -= 1
    return max(total, 0) / n_battery


def _first(events, kind, after=-1):
    return next((k for k, e in events if e == kind and k > after), None)


def _page_score(c, r):
    want, got = _first(r, "fire"), _first(c, "fire")
    if got is None or got < want:
        return 0.0
    return 1.0 if got == want else 0.5


def _resolve_score(c, r):
    fired = _first(c, "fire")
    want = _first(r, "resolve", _first(r, "fire"))
    got = None if fired is None else _first(c, "resolve", fired)
    if got is None:
        return 0.0
    return 1.0 if got == want else 0.3


def _runs(cand, ref):
    """Pairs of (candidate, reference) event lists, one per replay."""
    data = cand if isinstance(cand, list) and len(cand) == len(ref) else [[]] * len(ref)
    return list(zip(data, ref, strict=True))


def check_pages_on_tail_latency(cand, ref, inputs):
    n = inputs["battery_counts"]["incident"]
    scores = [_page_score(c, r) for c, r in _runs(cand.data, ref.data)]
    # A value exactly on the firing threshold does not page; just above it does.
    trans = _transitions_ok(cand, ref, inputs, fire=True)
    fraction = _tally(scores, n) * trans
    if fraction == 1.0:
        return Verdict.ok("The alert pages as soon as tail latency breaks the SLO.")
    msg = "The alert does not page as soon as the rule is broken"
    if min(scores) == 0:
        msg += "; in some incidents it never paged, or paged before the incident started"
    return Verdict(fraction, msg + ".")


def check_resolves_after_recovery(cand, ref, inputs):
    n = inputs["battery_counts"]["incident"]
    scores = [_resolve_score(c, r) for c, r in _runs(cand.steps.get("incident"), ref.steps["incident"])]
    fraction = _tally(scores, n) * _transitions_ok(cand, ref, inputs, fire=False)
    if fraction == 1.0:
        return Verdict.ok("The alert resolves once latency is back to normal.")
    return Verdict(fraction, "After an incident the alert does not resolve when latency is back below the rule's level.")


def _transitions_ok(cand, ref, inputs, fire):
    """Share of single transitions right, those starting not firing (fire=True) or
    firing (fire=False)."""
    c_all = cand.steps.get("transitions")
    r_all = ref.steps["transitions"]
    idx = [i for i, t in enumerate(inputs["transitions"]) if t["firing"] is not fire]
    if not isinstance(c_all, list) or len(c_all) != len(r_all):
        return 0.0
    return sum(c_all[i] == r_all[i] for i in idx) / len(idx)


def check_percentile_value(cand, ref, inputs):
    n = inputs["battery_counts"]["percentile_cases"]
    pairs = list(zip(cand.data, ref.data, strict=True))
    scores = [float(close(c["value_ms"], r["value_ms"], 1e-9) and c["breach"] == r["breach"]) for c, r in pairs]
    fraction = _tally(scores, n)
    if fraction == 1.0:
        return Verdict.ok("The alert's value is the rule's percentile of the window.")
    bad = n - int(sum(scores[:n]))
    return Verdict(fraction, f"{bad or 1} of {n} windows get a value that is not the rule's percentile (nearest rank) of their latencies, or a wrong breach.")


def check_window_by_time(cand, ref, inputs):
    n = inputs["battery_counts"]["window_cases"]
    pairs = list(zip(cand.data, ref.data, strict=True))
    scores = [float(c["breach"] == r["breach"] and (c["value_ms"] is None) == (r["value_ms"] is None)) for c, r in pairs]
    fraction = _tally(scores, n)
    if fraction == 1.0:
        return Verdict.ok("The alert looks at exactly the requests of its time window.")
    return Verdict(fraction, "Some evaluations look at other requests than those of the rule's time window.")


def _flap_score(c, r):
    fires = sum(1 for _, e in c if e == "fire")
    want = sum(1 for _, e in r if e == "fire")
    if c == r:
        return 1.0
    if not fires:
        return 0.0
    if fires > want:
        return min(0.5, want / fires)
    return 0.5


def check_no_flapping(cand, ref, inputs):
    n = inputs["battery_counts"]["bursty"]
    scores = [_flap_score(c, r) for c, r in _runs(cand.data, ref.data)]
    fraction = _tally(scores, n)
    if fraction == 1.0:
        return Verdict.ok("A degraded period pages once and resolves once latency is back to normal.")
    return Verdict(fraction, "During degraded periods the alert pages or resolves at other times than the rule says (it may flap).")
