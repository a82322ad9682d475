# Inside the sandbox: join generated labels and feature rows; return the rows.


def _join(labels, features):
    import join

    rows = join.build_training_set([dict(r) for r in labels], [dict(r) for r in features])
    keys = ["entity_id", "event_time", "label", "txn_count_7d", "txn_count_7d_at", "avg_amount_30d", "avg_amount_30d_at"]
    return [{k: r.get(k) for k in keys} for r in rows]


def step_join(inputs):
    return _join(inputs["labels"], inputs["features"])


def step_time_zones_respected(inputs):
    return _join(inputs["tz_labels"], inputs["tz_features"])
