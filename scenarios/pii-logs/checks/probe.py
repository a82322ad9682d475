# Inside the sandbox: capture every log record the service emits (root handler at
# DEBUG) while it handles generated requests. Printed output is captured outside.


def _handle_all(inputs):
    import io
    import logging

    import service

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    snapshot, scores = [], []
    try:
        for req in inputs["requests"]:
            scores.append(float(service.handle(dict(req), snapshot)))
    finally:
        root.removeHandler(handler)
    return stream.getvalue(), snapshot, scores


def step_no_pii_in_logs(inputs):
    logs, _, _ = _handle_all(inputs)
    return {"logs": logs}


def step_snapshot(inputs):
    import json

    import config

    _, snapshot, scores = _handle_all(inputs)
    # The same requests under another deployment's secret (production's key is not the
    # development one): a keyed pseudonym must change with the key.
    original = config.PSEUDONYM_KEY
    config.PSEUDONYM_KEY = inputs["other_key"].encode()
    try:
        _, other, _ = _handle_all(inputs)
    finally:
        config.PSEUDONYM_KEY = original
    return {
        "snapshot": json.loads(json.dumps(snapshot, default=str)),
        "scores": scores,
        "keys_other_secret": [str(row.get("customer_key")) for row in other],
    }
