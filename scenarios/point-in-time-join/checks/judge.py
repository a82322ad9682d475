"""Judge for point-in-time-join. Offline rows are the export v2 of the variant: a window
column (end of the aggregation window, 00:00 UTC) and an availability column (when the
value became readable online, in the writer's offset), values as text. A fixed battery
of labels and offline rows always runs: labels exactly on, one second before and one
second after a value's availability, labels one second after a window closed whose
value was not readable yet, a value backfilled after the next window's, labels exactly on an entity's first value (no history),
instants written in several UTC offsets. Seeded extra labels can only find more
failures, so a join's grade is the same on every seed."""

import random
from datetime import datetime, timedelta, timezone

from app.grading.judging import Verdict

FEATURES = ["txn_count_7d", "avg_amount_30d"]
BASE = datetime(2024, 3, 1, tzinfo=timezone.utc)
OFFSETS = [0, 0, 1, -5, 9, 5.5]
BATTERY_SEED = 20240301


def _iso(t, offset_hours=0):
    return t.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


def _instant(text):
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _offline(params, entity, feature, window, available, offset, value):
    return {"entity_id": entity, "feature": feature, params["window_col"]: _iso(window),
            params["available_col"]: _iso(available, offset), "value": repr(value)}


def _generate(rng, params, n_entities, n_labels):
    """Offline rows (shuffled) and labels; the last two entities have no history.
    Windows are distinct days per (entity, feature); a value is readable 1 to 30 hours
    after its window closed, so a late one can be readable after the next window."""
    entities = [f"c{rng.randint(1000, 9999)}" for _ in range(n_entities)]
    features, labels = [], []
    for e in entities[: n_entities - 2]:
        for f in FEATURES:
            values = set()
            for day in sorted(rng.sample(range(30), rng.randint(3, 7))):
                window = BASE + timedelta(days=day)
                available = window + timedelta(hours=rng.randint(1, 30), minutes=rng.randint(0, 59))
                value = round(rng.uniform(0, 50), 2)
                while value in values:
                    value = round(value + 0.01, 2)
                values.add(value)
                features.append(_offline(params, e, f, window, available, rng.choice(OFFSETS), value))
    rng.shuffle(features)
    by_entity = {}
    for r in features:
        by_entity.setdefault(r["entity_id"], []).append(r)
    for _ in range(n_labels):
        e = rng.choice(entities)
        kind = rng.random()
        if e in by_entity and kind < 0.4:
            # on, one second before and one second after a value's availability
            t = datetime.fromisoformat(rng.choice(by_entity[e])[params["available_col"]])
            t += timedelta(seconds=rng.choice([0, 0, -1, 1]))
        elif e in by_entity and kind < 0.55:
            # a window closed, its value not readable yet
            t = datetime.fromisoformat(rng.choice(by_entity[e])[params["window_col"]]) + timedelta(seconds=1)
        else:
            t = BASE + timedelta(hours=rng.randint(-48, 24 * 32), minutes=rng.randint(0, 59))
        labels.append({"entity_id": e, "event_time": _iso(t, rng.choice(OFFSETS)), "label": int(rng.random() < 0.2)})
    return labels, features


def _edge_labels(params, features):
    """Labels exactly on an entity's first value of a feature (no usable history), and one
    second after a later value's window closed (that value not readable yet)."""
    per_key = {}
    for r in features:
        per_key.setdefault((r["entity_id"], r["feature"]), []).append(r)
    labels = []
    for k, key in enumerate(sorted(per_key)[:8]):
        rows = sorted(per_key[key], key=lambda r: _instant(r[params["window_col"]]))
        first = min(rows, key=lambda r: _instant(r[params["available_col"]]))
        labels.append({"entity_id": key[0], "label": 0,
                       "event_time": _iso(_instant(first[params["available_col"]]), OFFSETS[k % len(OFFSETS)])})
        labels.append({"entity_id": key[0], "label": 1,
                       "event_time": _iso(_instant(rows[-1][params["window_col"]]) + timedelta(seconds=1), 2)})
    return labels


def _backfill_cases(rng, params, n, prefix):
    """A window's value backfilled two days late, readable after the next window's value:
    labels between the two, exactly on the backfill, and after both."""
    features, labels = [], []
    for i in range(n):
        e = f"{prefix}{i}"
        window = BASE + timedelta(days=2 * i)
        late = window + timedelta(hours=48 + rng.randint(2, 20), minutes=rng.randint(0, 59))
        on_time = window + timedelta(days=1, hours=2)
        for f in FEATURES:
            features.append(_offline(params, e, f, window, late, OFFSETS[i % len(OFFSETS)], 60.0 + i))
            features.append(_offline(params, e, f, window + timedelta(days=1), on_time, 0, 80.0 + i))
        for t in (on_time + timedelta(hours=1), late, late + timedelta(minutes=5)):
            labels.append({"entity_id": e, "event_time": _iso(t, OFFSETS[(i + 1) % len(OFFSETS)]), "label": 0})
    return labels, features


def _tz_cases(rng, params, n, prefix):
    """Instants written with different offsets, so text order lies (every other entity's
    later value reads as the earlier one); one label in each entity sits exactly on a
    value's instant written in another offset, one after both values."""
    tz_features, tz_labels = [], []
    for i in range(n):
        e = f"{prefix}{i}"
        t1 = BASE + timedelta(days=i, hours=10, minutes=rng.randint(0, 59))
        window = BASE + timedelta(days=i)
        first, second = (-8, 9) if i % 2 == 0 else (9, -8)
        tz_features.append(_offline(params, e, "txn_count_7d", window, t1, first, 1.0 + i))
        tz_features.append(_offline(params, e, "txn_count_7d", window, t1 + timedelta(hours=3), second, 100.0 + i))
        tz_features.append(_offline(params, e, "avg_amount_30d", window, t1 + timedelta(minutes=30), 5.5, 7.0 + i))
        tz_labels.append({"entity_id": e, "event_time": _iso(t1 + timedelta(hours=1), 5), "label": 0})
        tz_labels.append({"entity_id": e, "event_time": _iso(t1 + timedelta(hours=3), -3), "label": 1})
        tz_labels.append({"entity_id": e, "event_time": _iso(t1 + timedelta(minutes=30), 0), "label": 0})
        tz_labels.append({"entity_id": e, "event_time": _iso(t1 + timedelta(hours=4), 2), "label": 0})
    return tz_labels, tz_features


def make_inputs(seed, params):
    """A fixed battery (always the same rows, boundaries included) followed by seeded
    extra labels; the judge scores the battery and lets extras only find more failures."""
    b, x = random.Random(BATTERY_SEED), random.Random(seed)
    labels, features = _generate(b, params, 14, 60)
    labels += _edge_labels(params, features)
    backfill_labels, backfill_features = _backfill_cases(b, params, 4, "b")
    labels += backfill_labels
    features += backfill_features
    extra_labels, extra_features = _generate(x, params, 6, 15)
    extra_features = [dict(r, entity_id="x" + r["entity_id"]) for r in extra_features]
    extra_labels = [dict(r, entity_id="x" + r["entity_id"]) for r in extra_labels]
    tz_labels, tz_features = _tz_cases(b, params, 8, "z")
    xtz_labels, xtz_features = _tz_cases(x, params, 2, "xz")
    return {
        "labels": labels + extra_labels, "features": features + extra_features, "battery_labels": len(labels),
        "tz_labels": tz_labels + xtz_labels, "tz_features": tz_features + xtz_features,
        "battery_tz_labels": len(tz_labels), "available_col": params["available_col"],
    }


def _tally(oks, n):
    """Right battery rows; a wrong extra row costs one battery row."""
    good = sum(oks[:n])
    if good == n and not all(oks[n:]):
        good -= 1
    return good


def _readable(inputs):
    """(entity, feature, value) -> the instant the value became readable online."""
    out = {}
    for r in inputs["features"]:
        out[(r["entity_id"], r["feature"], float(r["value"]))] = _instant(r[inputs["available_col"]])
    return out


def _value_ok(row, ref_row, readable):
    """No value from the label's future (or from nowhere), none withheld where one was readable."""
    when = _instant(row.get("event_time"))
    for f in FEATURES:
        value = row.get(f)
        if value is None:
            if ref_row[f] is not None:
                return False
            continue
        try:
            at = readable.get((row.get("entity_id"), f, float(value)))
        except (TypeError, ValueError):
            return False
        if at is None or when is None or at >= when:
            return False
    return True


def _rows(cand, ref):
    return cand.data if isinstance(cand.data, list) and len(cand.data) == len(ref.data) else None


def check_no_future_values(cand, ref, inputs):
    rows = _rows(cand, ref)
    if rows is None:
        return Verdict.fail("The output does not have one row per label.")
    n = inputs["battery_labels"]
    readable = _readable(inputs)
    good = _tally([isinstance(c, dict) and _value_ok(c, r, readable) for c, r in zip(rows, ref.data, strict=True)], n)
    if good == n:
        return Verdict.ok("No label sees a value from its future.")
    return Verdict.share(good, n, f"{n - good} of {n} labels see a value that was not readable online before "
                                  "their time, or miss one that was.")


def check_as_of_values(cand, ref, inputs):
    rows = _rows(cand, ref)
    if rows is None:
        return Verdict.fail("The output does not have one row per label.")
    n = inputs["battery_labels"]
    good = _tally([c == r for c, r in zip(rows, ref.data, strict=True)], n)
    if good == n:
        return Verdict.ok("Every label gets its as-of values.")
    return Verdict.share(good, n, f"{n - good} of {n} rows do not hold the latest value readable before the label.")


def check_missing_history_kept(cand, ref, inputs):
    rows = _rows(cand, ref)
    if rows is None:
        return Verdict.fail("Labels without usable history are dropped (or rows added).")
    n = inputs["battery_labels"]
    want = [i for i, r in enumerate(ref.data) if any(r[f] is None for f in FEATURES)]
    oks = [isinstance(rows[i], dict) and all(rows[i].get(f) == ref.data[i][f] for f in FEATURES) for i in want]
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
