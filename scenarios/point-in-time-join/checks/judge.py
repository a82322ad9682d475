"""Judge for point-in-time-join. A fixed battery of labels and feature rows always runs
(labels exactly on, one second before and one second after a value's availability,
instants written in several UTC offsets, labels with no usable history); seeded extra
labels can only find more failures, so a join's grade is the same on every seed."""

import random
from datetime import datetime, timedelta, timezone

from app.grading.judging import Verdict

FEATURES = ["txn_count_7d", "avg_amount_30d"]
BASE = datetime(2024, 3, 1, tzinfo=timezone.utc)


def _iso(t, offset_hours=0):
    return t.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


def _generate(rng, n_entities, n_labels):
    entities = [f"c{rng.randint(1000, 9999)}" for _ in range(n_entities)]
    features, labels = [], []
    for e in entities[: n_entities - 2]:
        for f in FEATURES:
            times = sorted(BASE + timedelta(hours=rng.randint(0, 24 * 30)) for _ in range(rng.randint(3, 7)))
            for t in dict.fromkeys(times):
                features.append({"entity_id": e, "feature": f, "available_at": _iso(t, rng.choice(OFFSETS)),
                                 "value": round(rng.uniform(0, 50), 2)})
    rng.shuffle(features)
    by_entity = {}
    for r in features:
        by_entity.setdefault(r["entity_id"], []).append(r)
    for _ in range(n_labels):
        e = rng.choice(entities)
        if e in by_entity and rng.random() < 0.4:
            # on, one second before and one second after a value's availability
            t = datetime.fromisoformat(rng.choice(by_entity[e])["available_at"])
            t += timedelta(seconds=rng.choice([0, 0, -1, 1]))
        else:
            t = BASE + timedelta(hours=rng.randint(-48, 24 * 32), minutes=rng.randint(0, 59))
        labels.append({"entity_id": e, "event_time": _iso(t, rng.choice(OFFSETS)), "label": int(rng.random() < 0.2)})
    return labels, features


def _tz_cases(rng, n, prefix):
    """Instants written with different offsets, so text order lies; one label in each
    entity sits exactly on a value's instant written in another offset."""
    tz_features, tz_labels = [], []
    for i in range(n):
        e = f"{prefix}{i}"
        t1 = BASE + timedelta(days=i, hours=10, minutes=rng.randint(0, 59))
        tz_features.append({"entity_id": e, "feature": "txn_count_7d", "available_at": _iso(t1, -8), "value": 1.0 + i})
        tz_features.append({"entity_id": e, "feature": "txn_count_7d",
                            "available_at": _iso(t1 + timedelta(hours=3), 9), "value": 100.0 + i})
        tz_features.append({"entity_id": e, "feature": "avg_amount_30d",
                            "available_at": _iso(t1 + timedelta(minutes=30), 5.5), "value": 7.0 + i})
        tz_labels.append({"entity_id": e, "event_time": _iso(t1 + timedelta(hours=1), 5), "label": 0})
        tz_labels.append({"entity_id": e, "event_time": _iso(t1 + timedelta(hours=3), -3), "label": 1})
        tz_labels.append({"entity_id": e, "event_time": _iso(t1 + timedelta(minutes=30), 0), "label": 0})
    return tz_labels, tz_features


OFFSETS = [0, 0, 2, -5, 9, 5.5]
BATTERY_SEED = 20240301


def make_inputs(seed):
    """A fixed battery (always the same rows, boundaries included) followed by seeded
    extra labels; the judge scores the battery and lets extras only find more failures."""
    b, x = random.Random(BATTERY_SEED), random.Random(seed)
    labels, features = _generate(b, 14, 60)
    # Labels exactly on an entity's first value of a feature: no usable history yet.
    firsts = {}
    for r in features:
        key = (r["entity_id"], r["feature"])
        if key not in firsts or _instant(r["available_at"]) < _instant(firsts[key]["available_at"]):
            firsts[key] = r
    for k, key in enumerate(sorted(firsts)[:6]):
        at = _instant(firsts[key]["available_at"])
        labels.append({"entity_id": key[0], "event_time": _iso(at, OFFSETS[k % len(OFFSETS)]), "label": 0})
    extra_labels, extra_features = _generate(x, 6, 15)
    extra_features = [dict(r, entity_id="x" + r["entity_id"]) for r in extra_features]
    extra_labels = [dict(r, entity_id="x" + r["entity_id"]) for r in extra_labels]
    tz_labels, tz_features = _tz_cases(b, 8, "z")
    xtz_labels, xtz_features = _tz_cases(x, 2, "xz")
    return {
        "labels": labels + extra_labels, "features": features + extra_features, "battery_labels": len(labels),
        "tz_labels": tz_labels + xtz_labels, "tz_features": tz_features + xtz_features,
        "battery_tz_labels": len(tz_labels),
    }


def _tally(oks, n):
    """Right battery rows; a wrong extra row costs one battery row."""
    good = sum(oks[:n])
    if good == n and not all(oks[n:]):
        good -= 1
    return good


def _instant(text):
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _future(row):
    when = _instant(row.get("event_time"))
    for f in FEATURES:
        at = row.get(f + "_at")
        if at is not None and (when is None or _instant(at) is None or _instant(at) >= when):
            return True
    return False


def _rows(cand, ref):
    return cand.data if isinstance(cand.data, list) and len(cand.data) == len(ref.data) else None


def check_no_future_values(cand, ref, inputs):
    rows = _rows(cand, ref)
    if rows is None:
        return Verdict.fail("The output does not have one row per label.")
    n = inputs["battery_labels"]
    good = _tally([not _future(r) for r in rows], n)
    if good == n:
        return Verdict.ok("No label sees a value from its future.")
    return Verdict.share(good, n, f"{n - good} of {n} labels see a value that became available at or after their time.")


def check_as_of_values(cand, ref, inputs):
    rows = _rows(cand, ref)
    if rows is None:
        return Verdict.fail("The output does not have one row per label.")
    n = inputs["battery_labels"]
    good = _tally([c == r for c, r in zip(rows, ref.data, strict=True)], n)
    if good == n:
        return Verdict.ok("Every label gets its as-of values.")
    return Verdict.share(good, n, f"{n - good} of {n} rows do not hold the latest value available before the label.")


def check_missing_history_kept(cand, ref, inputs):
    rows = _rows(cand, ref)
    if rows is None:
        return Verdict.fail("Labels without usable history are dropped (or rows added).")
    n = inputs["battery_labels"]
    want = [i for i, r in enumerate(ref.data) if any(r[f] is None for f in FEATURES)]
    oks = [all(rows[i].get(f) == ref.data[i][f] for f in FEATURES) for i in want]
    battery = [ok for ok, i in zip(oks, want, strict=True) if i < n]
    good = sum(battery) - (1 if all(battery) and not all(oks) else 0)
    if good == len(battery):
        return Verdict.ok("Labels without history are kept with empty values.")
    return Verdict.share(max(good, 0), len(battery),
                         f"{len(battery) - good} of {len(battery)} labels without usable history get a value anyway.")


def check_time_zones_respected(cand, ref, inputs):
    rows = _rows(cand, ref)
    if rows is None:
        return Verdict.fail("The output does not have one row per label.")
    n = inputs["battery_tz_labels"]
    good = _tally([c == r for c, r in zip(rows, ref.data, strict=True)], n)
    if good == n:
        return Verdict.ok("Times with different offsets are compared as instants.")
    return Verdict.share(good, n, f"{n - good} of {n} labels get the wrong value when offsets differ.")
