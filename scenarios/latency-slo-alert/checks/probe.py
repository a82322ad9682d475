# Inside the sandbox: replay request logs through the alert as the scheduler does, and
# evaluate single windows. Returns what the alert said; the judge decides outside.

BUFFER_SECONDS = 900


def _rule(overrides):
    import yaml

    with open("monitor.yaml") as fh:
        rule = yaml.safe_load(fh)
    rule.update(overrides)
    return rule


def _requests(pairs):
    return [{"ts": ts, "latency_ms": ms} for ts, ms in pairs]


def _replay(sim):
    import alert

    rule = _rule(sim["rule"])
    requests = _requests(sim["requests"])
    buffer, i, firing, events = [], 0, False, []
    for k, now in enumerate(sim["evaluations"]):
        while i < len(requests) and requests[i]["ts"] <= now:
            buffer.append(requests[i])
            i += 1
        buffer = [r for r in buffer if r["ts"] > now - BUFFER_SECONDS]
        evaluation = alert.evaluate([dict(r) for r in buffer], now, rule)
        firing, event = alert.update(firing, evaluation, rule)
        if event is not None:
            events.append([k, str(event)])
    return events


def _evaluate_cases(cases):
    import alert

    out = []
    for case in cases:
        got = alert.evaluate(_requests(case["requests"]), case["now"], _rule(case["rule"]))
        value = got["value_ms"]
        out.append({"value_ms": None if value is None else float(value), "breach": bool(got["breach"])})
    return out


def step_incident(inputs):
    return [_replay(sim) for sim in inputs["incident"]]


def step_bursty(inputs):
    return [_replay(sim) for sim in inputs["bursty"]]


def step_transitions(inputs):
    import alert

    out = []
    for t in inputs["transitions"]:
        firing, event = alert.update(t["firing"], {"value_ms": t["value_ms"], "breach": None}, _rule(t["rule"]))
        out.append([firing is True, None if event is None else str(event)])
    return out


def step_percentile_cases(inputs):
    return _evaluate_cases(inputs["percentile_cases"])


def step_window_cases(inputs):
    return _evaluate_cases(inputs["window_cases"])
