"""Build the fraud model's training set from labels and feature-store rows."""

import bisect
from datetime import datetime

FEATURES = ["txn_count_7d", "avg_amount_30d"]


def _instant(text):
    """An ISO-8601 time as an aware datetime, so offsets compare as instants."""
    return datetime.fromisoformat(text[:19])


def history(feature_rows):
    """entity -> feature -> ([available_at instants, sorted], [(text, value)] aligned)."""
    grouped = {}
    for row in feature_rows:
        grouped.setdefault(row["entity_id"], {}).setdefault(row["feature"], []).append(
            (_instant(row["available_at"]), row["available_at"], row["value"])
        )
    out = {}
    for entity, per_feature in grouped.items():
        for feature, rows in per_feature.items():
            rows.sort(key=lambda r: r[0])
            out.setdefault(entity, {})[feature] = ([r[0] for r in rows], [(r[1], r[2]) for r in rows])
    return out


def build_training_set(labels, feature_rows):
    """Point in time: each label sees only values available strictly before it."""
    hist = history(feature_rows)
    out = []
    for label in labels:
        row = {"entity_id": label["entity_id"], "event_time": label["event_time"], "label": label["label"]}
        when = _instant(label["event_time"])
        for f in FEATURES:
            times, values = hist.get(label["entity_id"], {}).get(f, ([], []))
            i = bisect.bisect_left(times, when)  # first value at or after the label
            at, value = values[i - 1] if i > 0 else (None, None)
            row[f], row[f + "_at"] = value, at
        out.append(row)
    return out
