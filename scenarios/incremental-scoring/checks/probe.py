# Inside the sandbox: replay nights of the scheduler (state stored as JSON between
# runs, one night retried) with a model that notes every event it is asked to score.


def _fields(arrival_col):
    return ["id", "account_id", "event_time", arrival_col, "sessions", "minutes", "tickets"]


def _model(weights, calls):
    import math

    def score(event):
        calls.append(event["id"])
        z = weights["bias"] + sum(weights[k] * float(event[k]) for k in ("sessions", "minutes", "tickets"))
        return round(1 / (1 + math.exp(-z)), 6)

    return score


def step_nights(inputs):
    import json

    import score_job

    arrival = inputs["arrival_col"]
    events = [dict(zip(_fields(arrival), row, strict=True)) for row in inputs["events"]]
    stored, nights = "null", []
    for run_at in inputs["runs"]:
        visible = [dict(e) for e in events if e[arrival] <= run_at]
        calls = []
        result = score_job.run_nightly(visible, json.loads(stored), run_at, _model(inputs["weights"], calls))
        stored = json.dumps(result["state"])
        nights.append({
            "calls": calls,
            "predictions": [[p["id"], float(p["score"])] for p in result["predictions"]],
            "state_bytes": len(stored),
        })
    return nights
