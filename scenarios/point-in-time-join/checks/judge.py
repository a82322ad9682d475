"""Judge for point-in-time-join."""

import random
from datetime import datetime, timedelta, timezone

from app.grading.judging import Verdict

FEATURES = ["txn_count_7d", "avg_amount_30d"]
BASE = datetime(2024, 3, 1, tzinfo=timezone.utc)


def _iso(t, offset_hours=0):
    return t.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


def make_inputs(seed):
    rng = random.Random(seed)
    entities = [f"c{rng.randint(1000, 9999)}" for _ in range(12)]
    features, labels = [], []
    for e in entities[:10]:
        for f in FEATURES:
            times = sorted(BASE + timedelta(hours=rng.randint(0, 24 * 30)) for _ in range(rng.randint(3, 7)))
            for t in dict.fromkeys(times):
                features.append({"entity_id": e, "feature": f, "available_at": _iso(t), "value": round(rng.uniform(0, 50), 2)})
    rng.shuffle(features)
    by_entity = {}
    for r in features:
        by_entity.setdefault(r["entity_id"], []).append(r)
    for _ in range(40):
        e = rng.choice(entities)
        if e in by_entity and rng.random() < 0.3:
            # exactly at a value's availability: that value is not yet usable
            t = datetime.fromisoformat(rng.choice(by_entity[e])["available_at"])
        else:
            t = BASE + timedelta(hours=rng.randint(-48, 24 * 32), minutes=rng.randint(0, 59))
        labels.append({"entity_id": e, "event_time": _iso(t), "label": int(rng.random() < 0.2)})
    # Time zones: same instants written with different offsets, so text order lies.
    tz_features, tz_labels = [], []
    for i in range(8):
        e = f"z{i}"
        t1 = BASE + timedelta(days=i, hours=10)
        tz_features.append({"entity_id": e, "feature": "txn_count_7d", "available_at": _iso(t1, -8), "value": 1.0 + i})
        tz_features.append({"entity_id": e, "feature": "txn_count_7d", "available_at": _iso(t1 + timedelta(hours=3), 9), "value": 100.0 + i})
        tz_labels.append({"entity_id": e, "event_time": _iso(t1 + timedelta(hours=1), 5), "label": 0})
    return {"labels": labels, "features": features, "tz_labels": tz_labels, "tz_features": tz_features}


def _instant(text):
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def check_no_future_values(cand, ref, inputs):
    bad = 0
    for row in cand.data:
        when = _instant(row.get("event_time"))
        for f in FEATURES:
            at = row.get(f + "_at")
            if at is not None and (when is None or _instant(at) is None or _instant(at) >= when):
                bad += 1
    if not bad and len(cand.data) == len(ref.data):
        return Verdict.ok("No label sees a value from its future.")
    if not bad:
        return Verdict(0.5, "No joined value comes from the future, but rows were added or dropped.")
    return Verdict.fail(f"{bad} joined values became available at or after their label's time.")


def check_as_of_values(cand, ref, inputs):
    if len(cand.data) != len(ref.data):
        return Verdict.fail("The output does not have one row per label.")
    good = sum(c == r for c, r in zip(cand.data, ref.data))
    n = len(ref.data)
    if good == n:
        return Verdict.ok("Every label gets its as-of values.")
    return Verdict.share(good, n, f"{n - good} of {n} rows do not hold the latest value available before the label.")


def check_missing_history_kept(cand, ref, inputs):
    want = [i for i, r in enumerate(ref.data) if any(r[f] is None for f in FEATURES)]
    if len(cand.data) != len(ref.data):
        return Verdict.fail("Labels without usable history are dropped (or rows added).")
    good = sum(all(cand.data[i][f] == ref.data[i][f] for f in FEATURES) for i in want)
    if good == len(want):
        return Verdict.ok("Labels without history are kept with empty values.")
    return Verdict.share(good, len(want), f"{len(want) - good} of {len(want)} labels without history get a value anyway.")


def check_time_zones_respected(cand, ref, inputs):
    good = sum(c == r for c, r in zip(cand.data, ref.data))
    n = len(ref.data)
    if good == n and len(cand.data) == n:
        return Verdict.ok("Times with different offsets are compared as instants.")
    return Verdict.share(good, n, f"{n - good} of {n} labels get the wrong value when offsets differ.")
