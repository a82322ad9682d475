# Inside the sandbox: capture every log record the service emits (root handler at
# DEBUG) while it handles generated requests. Printed output is captured outside.


def _handle_all(inputs, failing=False):
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
        for req in inputs["failing"] if failing else ():
            try:
                service.handle(dict(req), [])
            except Exception:
                pass  # the request fails; only what it left in the logs matters here
    finally:
        root.removeHandler(handler)
    return stream.getvalue(), snapshot, scores


def _forget():
    import sys

    for name in ("service", "middleware", "segments"):
        sys.modules.pop(name, None)


def step_no_pii_in_logs(inputs):
    logs, _, _ = _handle_all(inputs, failing=True)
    return {"logs": logs}


def step_snapshot(inputs):
    import json

    import config

    _, snapshot, scores = _handle_all(inputs)
    # The same requests under another deployment's secret (production's key is not the
    # development one): a keyed pseudonym must change with the key.
    # The service's modules are imported afresh under it, as a pod of that deployment
    # would, so a key read at import time counts as the service's key too.
    original = config.PSEUDONYM_KEY
    config.PSEUDONYM_KEY = inputs["other_key"].encode()
    _forget()
    try:
        _, other, _ = _handle_all(inputs)
    finally:
        config.PSEUDONYM_KEY = original
        _forget()
    return {
        "snapshot": json.loads(json.dumps(snapshot, default=str)),
        "scores": scores,
        "keys_other_secret": [str(row.get("customer_key")) for row in other],
    }
