"""Judge for retrain-trigger."""

import random
from datetime import datetime, timedelta, timezone

from app.grading.judging import Verdict


def _iso(t, rng):
    return t.astimezone(timezone(timedelta(hours=rng.choice([0, 2, -5, 9])))).isoformat()


def make_inputs(seed):
    rng = random.Random(seed)
    start = datetime(2024, 6, 1, tzinfo=timezone.utc) + timedelta(days=rng.randint(0, 60))
    hours = []
    for h in range(24 * 14):
        drift = round(rng.uniform(0.01, 0.12), 3)
        if rng.random() < 0.01:
            drift = round(rng.uniform(0.25, 0.6), 3)  # rare real drift
        hours.append({"now": _iso(start + timedelta(hours=h), rng), "drift": drift, "labels": rng.randint(0, 2)})
    cases = []

    def case(kind, gap_hours, drift, labels):
        now = start + timedelta(days=20, hours=rng.randint(0, 200))
        cases.append({"kind": kind, "last": _iso(now - timedelta(hours=gap_hours), rng), "now": _iso(now, rng),
                      "drift": drift, "labels": labels})

    for _ in range(5):
        case("drift", rng.uniform(25, 300), round(rng.uniform(0.25, 0.9), 3), rng.randint(0, 50))
        case("drift", rng.uniform(25, 300), round(rng.uniform(0.0, 0.18), 3), rng.randint(0, 50))
        case("labels", rng.uniform(25, 300), round(rng.uniform(0.0, 0.15), 3), rng.choice([500, rng.randint(501, 5000)]))
        case("labels", rng.uniform(25, 300), round(rng.uniform(0.0, 0.15), 3), rng.randint(0, 499))
        case("cooldown", rng.uniform(0.5, 23.5), round(rng.uniform(0.25, 0.9), 3), rng.randint(600, 5000))
        case("cooldown", 24 * rng.randint(1, 9) + rng.uniform(0.5, 20), round(rng.uniform(0.25, 0.9), 3), rng.randint(0, 100))
    rng.shuffle(cases)
    return {"last_trained_at": _iso(start - timedelta(days=2), rng), "hours": hours, "cases": cases}


def check_quiet_without_cause(cand, ref, inputs):
    if cand.data == ref.data:
        return Verdict.ok(f"Retrained {len(ref.data)} times in two weeks, as the policy says.")
    if len(cand.data) > 3 * max(1, len(ref.data)):
        return Verdict.fail(f"Retrained {len(cand.data)} times in two quiet weeks: far more than the policy allows.")
    if len(cand.data) < len(ref.data):
        return Verdict(0.3, "Some retraining the policy asks for never happens.")
    return Verdict(0.3, "Retraining does not happen at the times the policy says.")


def _kind(cand, ref, inputs, kind, what):
    idx = [i for i, c in enumerate(inputs["cases"]) if c["kind"] == kind]
    good = sum(cand.data[i] == ref.data[i] for i in idx)
    if good == len(idx):
        verdict = Verdict.ok(f"Right decision for {what}.")
    else:
        verdict = Verdict.share(good, len(idx), f"Wrong decision for {len(idx) - good} of {len(idx)} {what}.")
    # Saying no is only worth credit from a trigger that also says yes when it should.
    wanted = [i for i, r in enumerate(ref.data) if r]
    share = sum(bool(cand.data[i]) for i in wanted) / len(wanted)
    if share < 1.0:
        return Verdict(verdict.fraction * share, verdict.message + " (Credit is reduced: needed retraining is skipped.)")
    return verdict


def check_fires_on_drift(cand, ref, inputs):
    return _kind(cand, ref, inputs, "drift", "cases with or without drift after the cooldown")


def check_fires_on_new_labels(cand, ref, inputs):
    return _kind(cand, ref, inputs, "labels", "cases with or without enough new labels after the cooldown")


def check_cooldown_respected(cand, ref, inputs):
    return _kind(cand, ref, inputs, "cooldown", "cases close to a previous training")
