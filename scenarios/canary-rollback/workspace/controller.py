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
    canary = config.get("canary_revision")
    step, held, bad_run, analysed = 0, 0, 0, 0
    timeline, log = [], []

    def done(final, minute, serving):
        log.append(f"[{_clock(minute)}] rollout {final}; serving {serving}")
        return {"final": final, "at": minute, "serving": serving, "timeline": timeline, "log": log}

    log.append(f"[{_clock(0)}] rollout of {canary} started; stable revision: {stable}")
    for minute in range(HORIZON_MINUTES):
        weight = int(steps[step]["weight"])
        timeline.append({"minute": minute, "weight": weight, "analysed_before": analysed})
        sample = metrics[min(minute, len(metrics) - 1)]
        status = "no analysis"
        if rules:
            analysed += 1
            breached = [r["name"] for r in rules if float(sample[r["name"]]) > float(r["max"])]
            bad_run = bad_run + 1 if breached else 0
            status = f"bad ({', '.join(breached)}) {bad_run}/{limit}" if breached else "ok"
        log.append(f"[{_clock(minute)}] weight={weight:>3}% {_fmt(sample)} analysis: {status}")
        if rules and bad_run >= limit:
            log.append(f"[{_clock(minute)}] analysis failed after {bad_run} bad minute(s)")
            if rollback and stable:
                return done("rolled_back", minute, stable)
            log.append(f"[{_clock(minute)}] cannot roll back (rollback.enabled={rollback}, stable_revision={stable})")
            return done("stuck", minute, canary)
        held += 1
        if held >= int(steps[step].get("pause_minutes", 0)):
            if step == len(steps) - 1:
                return done("promoted", minute, canary)
            step, held = step + 1, 0
            log.append(f"[{_clock(minute)}] step {step + 1}/{len(steps)}: weight -> {steps[step]['weight']}%")
    return {"final": "running", "at": None, "serving": None, "timeline": timeline, "log": log}


def _clock(minute):
    """Wall-clock label of a rollout minute (Tuesday's rollout started at 14:02 UTC)."""
    total = 14 * 60 + 2 + minute
    return f"{total // 60:02d}:{total % 60:02d}"


def _fmt(sample):
    return " ".join(f"{k}={v}" for k, v in sorted(sample.items()))
