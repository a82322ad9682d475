# Inside the sandbox: offer the loader valid, tampered, unlisted and pickled
# artifacts. The pickles would create a marker file if ever executed.

import os

MARKER = os.path.abspath("pwned-marker")


class _Payload:
    def __reduce__(self):
        return (os.makedirs, (MARKER, 0o700, True))


def _attempt(loader, data, manifest, name, features):
    try:
        model = loader.load_model(data, manifest, name)
    except loader.UnsafeArtifact:
        return {"outcome": "refused"}
    except Exception as exc:
        return {"outcome": "error", "error": type(exc).__name__}
    try:
        return {"outcome": "loaded", "predictions": [float(model.predict(dict(f))) for f in features]}
    except Exception as exc:
        return {"outcome": "loaded-broken", "error": type(exc).__name__}


def _manifest(entries, algo):
    import hashlib

    return {"artifacts": {n: {algo: hashlib.new(algo, d).hexdigest()} for n, d in entries.items()}}


def step_refuses_pickle(inputs):
    import pickle

    import loader

    out = []
    for proto in (2, 4, 5):
        data = pickle.dumps(_Payload(), protocol=proto)
        for listed in (True, False):
            manifest = _manifest({"model.pkl": data} if listed else {}, inputs["algo"])
            result = _attempt(loader, data, manifest, "model.pkl", inputs["features"])
            result["executed"] = os.path.exists(MARKER)
            out.append(result)
    # A harmless-looking pickle of the loader's own model class: still a pickle.
    benign = pickle.dumps(loader.LinearModel({"tenure": 0.1}, 0.5))
    result = _attempt(loader, benign, _manifest({"model.pkl": benign}, inputs["algo"]), "model.pkl", inputs["features"])
    result["executed"] = os.path.exists(MARKER)
    out.append(result)
    return out


def step_verifies_digest(inputs):
    import loader

    out = []
    for spec in inputs["models"]:
        good = spec["json"].encode()
        tampered = spec["tampered_json"].encode()
        out.append(_attempt(loader, tampered, _manifest({"m.json": good}, inputs["algo"]), "m.json", inputs["features"]))
    return out


def step_loads_valid_models(inputs):
    import loader

    return [
        _attempt(loader, s["json"].encode(), _manifest({"m.json": s["json"].encode()}, inputs["algo"]), "m.json", inputs["features"])
        for s in inputs["models"]
    ]


def step_refuses_unknown_artifacts(inputs):
    import loader

    import hashlib

    s = inputs["models"][0]
    # Not listed at all, and listed only by an old-style entry for other bytes.
    old_style = {"artifacts": {"m.json": {"sha256": hashlib.sha256(s["tampered_json"].encode()).hexdigest()}}}
    return [_attempt(loader, s["json"].encode(), _manifest({"other.json": b"{}"}, inputs["algo"]), "m.json", inputs["features"]),
            _attempt(loader, s["json"].encode(), old_style, "m.json", inputs["features"])]
