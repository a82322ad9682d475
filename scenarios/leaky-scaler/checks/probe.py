# Runs inside the sandbox with the candidate's files: prepares each case's rows with
# prep.prepare() and returns plain data. No expectations here: the judge compares outside.


def _prepare(case, rows=None):
    import copy

    import prep

    rows = case["rows"] if rows is None else rows
    return prep.prepare([dict(r) for r in rows], copy.deepcopy(case["config"]))


def _per_case(cases, observe):
    out = []
    for case in cases:
        try:
            out.append(observe(case))
        except Exception as exc:
            out.append({"error": type(exc).__name__})
    return out


def _features(rows, columns):
    return [[float(r[c]) for c in columns] for r in rows]


def _stats(stats, columns):
    return {c: [float(stats["fill"][c]), float(stats["scaler"][c]["mean"]), float(stats["scaler"][c]["std"])]
            for c in columns}


def step_train_standardised(inputs):
    return _per_case(inputs["cases"], lambda case: _features(_prepare(case)[0], case["config"]["features"]))


def step_stats(inputs):
    return _per_case(inputs["cases"], lambda case: _stats(_prepare(case)[2], case["config"]["features"]))


def step_gaps(inputs):
    return _per_case(inputs["gap_cases"], lambda case: _stats(_prepare(case)[2], case["config"]["features"]))


def step_test_rows_cannot_move_stats(inputs):
    def observe(case):
        columns = case["config"]["features"]
        _, test, stats = _prepare(case)
        test_ids = {r[case["config"]["id_column"]] for r in test}
        shifted = []
        for r in case["rows"]:
            r = dict(r)
            if r[case["config"]["id_column"]] in test_ids:
                for c in columns:
                    if r[c] not in case["unknown"]:
                        r[c] = repr(float(r[c]) * case["shift_factor"] + case["shift_offset"])
            shifted.append(r)
        train2, _, stats2 = _prepare(case, shifted)
        return {"before": _stats(stats, columns), "after": _stats(stats2, columns),
                "train_ids": sorted(r[case["config"]["id_column"]] for r in train2)}

    return _per_case(inputs["cases"], observe)


def step_test_prepared_like_serving(inputs):
    def observe(case):
        _, test, _ = _prepare(case)
        return {"ids": [r[case["config"]["id_column"]] for r in test],
                "test": _features(test, case["config"]["features"])}

    return _per_case(inputs["cases"], observe)
