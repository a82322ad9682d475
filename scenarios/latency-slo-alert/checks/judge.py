"""Judge for latency-slo-alert: runs in the grader on data only."""

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


def _incident(rng, t0, rule):
    start = rng.randint(10, 14)
    length = rng.randint(8, 12)
    minutes = [(0.0, 0.0)] * start + [(0.05, 0.0)] * length
    minutes += [(0.0, 0.0)] * (40 - len(minutes))
    return _sim(rng, t0, minutes, rule)


def _bursty(rng, t0, rule):
    """A degraded half hour: short bursts of slow requests over a floor of requests
    that are slow-ish but not slow enough to page."""
    quiet = rule["window_seconds"] // 60 + rng.randint(1, 2)
    minutes = [(0.0, 0.0)] * rng.randint(5, 8)
    for _ in range(rng.randint(3, 4)):
        minutes += [(0.05, 0.05)] * rng.randint(1, 2) + [(0.0, 0.06)] * quiet
    minutes += [(0.0, 0.0)] * (50 - len(minutes))
    return _sim(rng, t0, minutes, rule)


def _ranks_are_safe(q, n):
    """Avoid sizes where a float ceil(q / 100 * n) lands on the next rank."""
    return math.ceil(q / 100 * n) == -(-q * n // 100)


def _percentile_cases(rng, t0):
    cases = []
    sizes = [100, 100, 200, 1, rng.randint(5, 40), rng.randint(41, 99), rng.randint(101, 250), 20]
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
    now = t0 + rng.uniform(0, 86400)  # nothing in the window at all
    case([[round(now - w - rng.uniform(1, 600), 3), round(rng.uniform(600, 2000), 1)] for _ in range(12)], now)
    return cases


def make_inputs(seed):
    rng = random.Random(seed)
    t0 = float(rng.randint(1_717_200_000, 1_730_000_000))
    rule = {
        "window_seconds": rng.choice([120, 180]),
        "fire_above_ms": rng.choice([300, 350]),
        "resolve_below_ms": rng.choice([200, 220]),
    }
    return {
        "incident": _incident(rng, t0, rule),
        "bursty": _bursty(rng, t0 + 7200, rule),
        "percentile_cases": _percentile_cases(rng, t0),
        "window_cases": _window_cases(rng, t0, rule),
    }


def _first(events, kind, after=-1):
    return next((k for k, e in events if e == kind and k > after), None)


def check_pages_on_tail_latency(cand, ref, inputs):
    want = _first(ref.data, "fire")
    got = _first(cand.data, "fire")
    if got is None:
        return Verdict.fail("The alert never paged while p99 latency was far above the SLO.")
    if got < want:
        return Verdict.fail("The alert paged before the latency incident started.")
    if got == want:
        return Verdict.ok("The alert pages as soon as tail latency breaks the SLO.")
    return Verdict(0.5, "The alert paged, but only several minutes into the incident.")


def check_resolves_after_recovery(cand, ref, inputs):
    fired = _first(cand.data, "fire")
    want = _first(ref.data, "resolve", _first(ref.data, "fire"))
    got = None if fired is None else _first(cand.data, "resolve", fired)
    if got is None:
        return Verdict.fail("After the incident the alert never resolved.")
    if got == want:
        return Verdict.ok("The alert resolves once latency is back to normal.")
    if got < want:
        return Verdict(0.3, "The alert resolved while the incident was still going on.")
    return Verdict(0.3, "The alert resolved long after latency was back to normal.")


def check_percentile_value(cand, ref, inputs):
    pairs = list(zip(cand.data, ref.data, strict=True))
    good = sum(close(c["value_ms"], r["value_ms"], 1e-9) and c["breach"] == r["breach"] for c, r in pairs)
    if good == len(pairs):
        return Verdict.ok("The alert's value is the rule's percentile of the window.")
    return Verdict.share(good, len(pairs), f"{len(pairs) - good} of {len(pairs)} windows get a value that is not the rule's percentile (nearest rank) of their latencies.")


def check_window_by_time(cand, ref, inputs):
    pairs = list(zip(cand.data, ref.data, strict=True))
    good = sum(
        c["breach"] == r["breach"] and (c["value_ms"] is None) == (r["value_ms"] is None) for c, r in pairs
    )
    if good == len(pairs):
        return Verdict.ok("The alert looks at exactly the requests of its time window.")
    return Verdict.share(good, len(pairs), f"{len(pairs) - good} of {len(pairs)} evaluations look at other requests than those of the rule's time window.")


def check_no_flapping(cand, ref, inputs):
    fires = sum(1 for _, e in cand.data if e == "fire")
    want = sum(1 for _, e in ref.data if e == "fire")
    if not fires:
        return Verdict.fail("During a degraded half hour the alert never paged.")
    if cand.data == ref.data:
        return Verdict.ok("A degraded period pages once and resolves once latency is back to normal.")
    if fires > want:
        return Verdict(min(0.5, want / fires), f"The alert paged {fires} times during one degraded period: it flaps.")
    return Verdict(0.5, "The alert pages and resolves at other times than the rule says.")
