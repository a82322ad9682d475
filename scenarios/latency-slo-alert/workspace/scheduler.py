"""What the platform scheduler does with an alert (a copy of the part that matters here;
the scheduler itself lives in the platform repository and is not changed from here).

Every ``evaluate_every_seconds`` it adds the requests that arrived since the last tick to
its buffer, drops those older than BUFFER_SECONDS, calls ``alert.evaluate(buffer, now,
rule)`` then ``alert.update(firing, evaluation, rule)``, pages on "fire" and closes the
page on "resolve"."""

BUFFER_SECONDS = 900


def ticks(first_ts, last_ts, step):
    """Evaluation times: every ``step`` seconds on the clock, covering the log."""
    now = first_ts - first_ts % step + step
    while now <= last_ts + step:
        yield now
        now += step


def replay(requests, rule, alert):
    """Yield ``(now, evaluation, firing, event)`` for each tick over a request log
    (requests oldest first), exactly as the scheduler would have evaluated the alert."""
    buffer, i, firing = [], 0, False
    for now in ticks(requests[0]["ts"], requests[-1]["ts"], rule["evaluate_every_seconds"]):
        while i < len(requests) and requests[i]["ts"] <= now:
            buffer.append(requests[i])
            i += 1
        buffer = [r for r in buffer if r["ts"] > now - BUFFER_SECONDS]
        evaluation = alert.evaluate(list(buffer), now, rule)
        firing, event = alert.update(firing, evaluation, rule)
        yield now, evaluation, firing, event
