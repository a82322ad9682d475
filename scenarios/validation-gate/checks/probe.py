# Inside the sandbox: run split_rows() on generated batches, each with its own data
# contract; report accepted row ids.


def _run(batches):
    import copy

    import validate

    out = []
    for batch in batches:
        id_col = batch["id_column"]
        accepted, rejected = validate.split_rows([dict(r) for r in batch["rows"]], copy.deepcopy(batch["contract"]))
        out.append({
            "accepted": [r.get(id_col) for r in accepted],
            "rejected": [item["row"].get(id_col) for item in rejected],
            "reasons_given": all(item.get("reasons") for item in rejected),
        })
    return out


def step_keeps_valid_rows(inputs):
    return _run(inputs["valid"])


def step_rejects_nulls(inputs):
    return _run(inputs["nulls"])


def step_rejects_out_of_range(inputs):
    return _run(inputs["out_of_range"])


def step_rejects_bad_numbers(inputs):
    return _run(inputs["bad_numbers"])


def step_gate_applies_the_feeds_contract(inputs):
    """The gate in a config folder laid out like the workspace's, with the inputs'
    contracts: accepted ids per feed, or that it refused the feed."""
    import os
    import tempfile

    import yaml

    import gate

    config = tempfile.mkdtemp()
    gate_inputs = inputs["gate"]
    sections = {gate_inputs["feeds_key"]: gate_inputs["feeds"], "retired": gate_inputs["retired"]}
    for section in sections.values():
        for spec in section.values():
            path = os.path.join(config, spec["path"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                yaml.safe_dump(dict(spec["contract"], format=2), fh)
    registry = {"format": 2}
    registry.update({key: {feed: spec["path"] for feed, spec in section.items()} for key, section in sections.items()})
    with open(os.path.join(config, "feeds.yaml"), "w") as fh:
        yaml.safe_dump(registry, fh, sort_keys=False)
    out = []
    for run in inputs["gate"]["runs"]:
        try:
            accepted, _ = gate.run_gate(run["feed"], [dict(r) for r in run["rows"]], config)
            out.append([r.get(run["id_column"]) for r in accepted])
        except Exception:
            out.append("refused")
    return out
