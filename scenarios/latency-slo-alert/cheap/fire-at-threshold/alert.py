"""fraud-api latency alert.

The scheduler (see scheduler.py) calls ``evaluate(buffer, now, rule)`` and then
``update(firing, evaluation, rule)`` every ``evaluate_every_seconds``. ``buffer`` holds
the requests it kept in memory, oldest first, each ``{"ts": epoch seconds (float),
"latency_ms": float}``; ``rule`` is SRE's rule, the content of monitor.yaml.
"""

from latency_stats import percentile


def evaluate(requests, now, rule):
    """One evaluation of the rule at ``now`` (epoch seconds).

    Returns ``{"value_ms": float or None, "breach": bool}``: the rule's percentile of the
    latencies of the requests with ``now - window_seconds < ts <= now`` and whether it
    is above ``fire_above_ms``. No request in the window: no value, no breach.
    """
    start = now - rule["window_seconds"]
    window = [r["latency_ms"] for r in requests if start < r["ts"] <= now]
    value = percentile(window, rule["{{ percentile_key }}"])
    if value is None:
        return {"value_ms": None, "breach": False}
    return {"value_ms": value, "breach": value >= rule["fire_above_ms"]}


def update(firing, evaluation, rule):
    """The alert's state after one evaluation: ``(firing, event)``, where ``firing``
    says whether the alert is paging now and ``event`` is "fire", "resolve" or None.

    Fire when the value is above ``fire_above_ms``; once firing, resolve only when it is
    below ``{{ resolve_key }}``. An evaluation with no value changes nothing.
    """
    value = evaluation["value_ms"]
    if value is None:
        return firing, None
    if not firing and value >= rule["fire_above_ms"]:
        return True, "fire"
    if firing and value < rule["{{ resolve_key }}"]:
        return False, "resolve"
    return firing, None


def page_text(evaluation, rule):
    """The page's one-line summary, as the paging tool shows it."""
    value = evaluation["value_ms"]
    shown = "no data" if value is None else f"{value:.1f}ms"
    return f"{rule['name']} value={shown} (fires above {rule['fire_above_ms']}ms)"
