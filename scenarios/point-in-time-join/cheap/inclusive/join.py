"""Build the fraud model's training set from the label table and the offline table.

One output row per label, in label order: the label's columns, then for each feature
its value and `<feature>_at`, the time of the offline row the value came from.
"""

import offline_store

FEATURES = ["txn_count_7d", "avg_amount_30d"]


def feature_columns(found):
    """The feature cells of one training row from `{feature: (time, value)}`."""
    cells = {}
    for f in FEATURES:
        at, value = found.get(f, (None, None))
        cells[f], cells[f + "_at"] = value, at
    return cells


def as_of(rows, when):
    """The newest of `rows` (oldest first) readable strictly before the instant `when`."""
    best = None
    for at, value in rows:
        if offline_store.instant(at) <= when:
            best = (at, value)
    return best


def build_training_set(labels, feature_rows):
    """Training rows for `labels` ({entity_id, event_time, label}) from the offline
    table's rows (`feature_rows`, as the export gives them)."""
    hist = offline_store.history(feature_rows)
    out = []
    for label in labels:
        when = offline_store.instant(label["event_time"])
        found = {}
        for f in FEATURES:
            newest = as_of(hist.get((label["entity_id"], f), []), when)
            if newest:
                found[f] = newest
        row = {"entity_id": label["entity_id"], "event_time": label["event_time"], "label": label["label"]}
        row.update(feature_columns(found))
        out.append(row)
    return out
