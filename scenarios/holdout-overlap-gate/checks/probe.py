# Inside the sandbox: run the gate on generated event tables with a trainer that notes
# which rows it was trained on and which rows the gate scored. Data only.

FIELDS = ["id", "customer_id", "event_date", "tenure_months", "support_calls", "churned"]


def _cfg(overrides):
    import yaml

    with open("ci.yaml") as fh:
        cfg = yaml.safe_load(fh)
    cfg.update(overrides)
    return cfg


def _run(case, cfg):
    import evaluate
    import model

    trained, scored = set(), set()

    def train(rows):
        rows = [dict(r) for r in rows]
        trained.update(r["id"] for r in rows)
        predict = model.train(rows)
        if "predict_churn" in case:  # a model of known accuracy: the decision's boundary
            churn = set(case["predict_churn"])
            predict = lambda row: int(row["id"] in churn)  # noqa: E731

        def observed(row):
            scored.add(row["id"])
            return predict(row)

        return observed

    rows = [dict(zip(FIELDS, values, strict=True)) for values in case["rows"]]
    result = evaluate.gate(rows, case["run_date"], cfg, train)
    acc = result["accuracy"]
    return {
        "passed": bool(result["passed"]),
        "accuracy": None if acc is None else float(acc),
        "reasons": [str(x) for x in result.get("reasons") or []],
        "trained_on": sorted(trained),
        "scored": sorted(scored),
    }


def step_gate_runs(inputs):
    return [_run(case, _cfg(case["cfg"])) for case in inputs["cases"]]
