# Inside the sandbox: run split_rows() on generated batches; report accepted row ids.


def _accepted_ids(inputs, batch):
    import yaml

    import validate

    with open("contract.yaml") as fh:
        contract = yaml.safe_load(fh)
    accepted, rejected = validate.split_rows([dict(r) for r in batch], contract)
    return {
        "accepted": [r.get("transaction_id") for r in accepted],
        "rejected": [item["row"].get("transaction_id") for item in rejected],
        "reasons_given": all(item.get("reasons") for item in rejected),
    }


def step_keeps_valid_rows(inputs):
    return _accepted_ids(inputs, inputs["valid"])


def step_rejects_nulls(inputs):
    return _accepted_ids(inputs, inputs["nulls"])


def step_rejects_out_of_range(inputs):
    return _accepted_ids(inputs, inputs["out_of_range"])


def step_rejects_bad_numbers(inputs):
    return _accepted_ids(inputs, inputs["bad_numbers"])
