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
