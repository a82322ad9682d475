"""Build the fraud model's training set from labels and feature-store rows."""

FEATURES = ["txn_count_7d", "avg_amount_30d"]


def latest_values(feature_rows):
    """entity -> feature -> (available_at, value) of the newest row."""
    latest = {}
    for row in feature_rows:
        per_entity = latest.setdefault(row["entity_id"], {})
        current = per_entity.get(row["feature"])
        if current is None or row["available_at"] > current[0]:
            per_entity[row["feature"]] = (row["available_at"], row["value"])
    return latest


def build_training_set(labels, feature_rows):
    latest = latest_values(feature_rows)
    out = []
    for label in labels:
        row = {"entity_id": label["entity_id"], "event_time": label["event_time"], "label": label["label"]}
        found = latest.get(label["entity_id"], {})
        for f in FEATURES:
            at, value = found.get(f, (None, None))
            row[f], row[f + "_at"] = value, at
        out.append(row)
    return out
