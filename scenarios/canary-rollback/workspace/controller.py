"""A minute-by-minute model of the rollout controller (the real one behaves the same).

Every minute the controller reads the canary's metrics. When ``analysis`` is
configured, a minute is bad if any listed metric is above its ``max``; after
``failure_limit`` bad minutes in a row the canary has failed. A failed canary is rolled
back (all traffic to ``stable_revision``) if ``rollback.enabled`` and a stable
revision is set; otherwise the rollout is stuck where it is. Otherwise each step holds
its ``weight`` for ``pause_minutes`` and then the next step starts; when the last step
has held, the canary is promoted.
"""

import yaml

HORIZON_MINUTES = 90


def load(path="rollout.yaml"):
    with open(path) as fh:
        return yaml.safe_load(fh)


def simulate(config, metrics):
    """Replay per-minute canary ``metrics`` (a list of dicts); returns what happened."""
    steps = config["steps"]
    analysis = config.get("analysis") or {}
    rules = analysis.get("metrics") or []
    limit = int(analysis.get("failure_limit", 1))
    rollback = (config.get("rollback") or {}).get("enabled", False)
    stable = config.get("stable_revision")
    step, held, bad_run, analysed = 0, 0, 0, 0
    timeline = []
    for minute in range(HORIZON_MINUTES):
        weight = int(steps[step]["weight"])
        timeline.append({"minute": minute, "weight": weight, "analysed_before": analysed})
        sample = metrics[min(minute, len(metrics) - 1)]
        if rules:
            analysed += 1
            bad = any(float(sample[r["name"]]) > float(r["max"]) for r in rules)
            bad_run = bad_run + 1 if bad else 0
            if bad_run >= limit:
                if rollback and stable:
                    return {"final": "rolled_back", "at": minute, "serving": stable, "timeline": timeline}
                return {"final": "stuck", "at": minute, "serving": config.get("canary_revision"), "timeline": timeline}
        held += 1
        if held >= int(steps[step].get("pause_minutes", 0)):
            if step == len(steps) - 1:
                return {"final": "promoted", "at": minute, "serving": config.get("canary_revision"), "timeline": timeline}
            step, held = step + 1, 0
    return {"final": "running", "at": None, "serving": None, "timeline": timeline}
