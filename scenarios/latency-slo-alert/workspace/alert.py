"""Latency alert for the fraud-scoring API, evaluated once a minute by the scheduler.

The scheduler keeps an in-memory buffer of the requests of the last 15 minutes, oldest
first, each ``{"ts": epoch seconds (float), "latency_ms": float}``. Every
``evaluate_every_seconds`` it calls ``evaluate(buffer, now, rule)`` and then
``update(firing, evaluation, rule)``; it pages on "fire" and closes the page on
"resolve". ``rule`` is the content of monitor.yaml.
"""


def evaluate(requests, now, rule):
    """One evaluation of the rule at time ``now`` (epoch seconds).

    Returns ``{"value_ms": float or None, "breach": bool}``: the value the rule is
    about and whether it is above ``fire_above_ms``. No requests to look at: value
    None and no breach.
    """
    recent = requests[-rule["window_seconds"]:]
    if not recent:
        return {"value_ms": None, "breach": False}
    value = sum(r["latency_ms"] for r in recent) / len(recent)
    return {"value_ms": value, "breach": value > rule["fire_above_ms"]}


def update(firing, evaluation, rule):
    """The alert's state after one evaluation: ``(firing, event)`` where ``firing``
    says whether the alert is paging now and ``event`` is "fire", "resolve" or None."""
    breach = evaluation["breach"]
    if breach and not firing:
        return True, "fire"
    if firing and not breach:
        return False, "resolve"
    return firing, None
