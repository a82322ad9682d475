"""Latency alert for the fraud-scoring API, evaluated once a minute by the scheduler.

The scheduler keeps an in-memory buffer of the requests of the last 15 minutes, oldest
first, each ``{"ts": epoch seconds (float), "latency_ms": float}``. Every
``evaluate_every_seconds`` it calls ``evaluate(buffer, now, rule)`` and then
``update(firing, evaluation, rule)``; it pages on "fire" and closes the page on
"resolve". ``rule`` is the content of monitor.yaml.
"""


def percentile(values, q):
    """Nearest-rank percentile: the value of rank ceil(q * n / 100) in ascending order
    (rank 1 is the smallest). None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(q * len(ordered) / 100))
    return ordered[rank - 1]


def evaluate(requests, now, rule):
    """One evaluation of the rule at time ``now`` (epoch seconds).

    Returns ``{"value_ms": float or None, "breach": bool}``: the rule's percentile of
    the latencies of the requests with ``now - window_seconds < ts <= now`` and whether
    it is above ``fire_above_ms``. No requests in the window: value None, no breach.
    """
    start = now - rule["window_seconds"]
    window = [r["latency_ms"] for r in requests if start < r["ts"] <= now]
    value = percentile(window, rule["percentile"])
    if value is None:
        return {"value_ms": None, "breach": False}
    return {"value_ms": value, "breach": value > rule["fire_above_ms"]}


def update(firing, evaluation, rule):
    """The alert's state after one evaluation: ``(firing, event)`` where ``firing``
    says whether the alert is paging now and ``event`` is "fire", "resolve" or None.

    Hysteresis: fire when the value is above ``fire_above_ms``; once firing, resolve
    only when it is below ``resolve_below_ms``. No data changes nothing.
    """
    value = evaluation["value_ms"]
    if value is None:
        return firing, None
    if not firing and value > rule["fire_above_ms"]:
        return True, "fire"
    if firing and value < rule["resolve_below_ms"]:
        return False, "resolve"
    return firing, None
