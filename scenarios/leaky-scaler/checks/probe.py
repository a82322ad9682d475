# Runs inside the sandbox with the candidate's files: exercises prepare() and returns
# plain data. No expectations here: the judge compares outside.


def _prepare(inputs, rows=None):
    import pipeline

    rows = inputs["rows"] if rows is None else rows
    return pipeline.prepare(
        [dict(r) for r in rows], list(inputs["columns"]), inputs["test_fraction"], inputs["split_seed"]
    )


def _features(rows, columns):
    return [[float(r[c]) for c in columns] for r in rows]


def step_train_standardised(inputs):
    train, _, _ = _prepare(inputs)
    return {"train": _features(train, inputs["columns"])}


def step_scaler(inputs):
    _, _, scaler = _prepare(inputs)
    return {c: [float(scaler[c]["mean"]), float(scaler[c]["std"])] for c in inputs["columns"]}


def step_test_rows_cannot_move_scaler(inputs):
    _, test, scaler = _prepare(inputs)
    test_ids = {r["id"] for r in test}
    shifted = []
    for r in inputs["rows"]:
        r = dict(r)
        if r["id"] in test_ids:
            for c in inputs["columns"]:
                if r[c] not in (None, ""):
                    r[c] = r[c] * inputs["shift_factor"] + inputs["shift_offset"]
        shifted.append(r)
    train2, _, scaler2 = _prepare(inputs, shifted)
    return {
        "before": {c: [float(scaler[c]["mean"]), float(scaler[c]["std"])] for c in inputs["columns"]},
        "after": {c: [float(scaler2[c]["mean"]), float(scaler2[c]["std"])] for c in inputs["columns"]},
        "train_ids": sorted(r["id"] for r in train2),
    }


def step_test_transformed_like_serving(inputs):
    _, test, _ = _prepare(inputs)
    return {"ids": [r["id"] for r in test], "test": _features(test, inputs["columns"])}
