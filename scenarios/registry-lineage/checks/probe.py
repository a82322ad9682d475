# Inside the sandbox: train and register on generated data files; report what the
# registry holds on disk (entries and artifact bytes' hashes), as data.


def _write(path, text):
    with open(path, "w", newline="") as fh:
        fh.write(text)


def _sha(path):
    import hashlib

    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _entries(root, name):
    import json
    import os

    out = {}
    base = os.path.join(root, name)
    for d in sorted(os.listdir(base)):
        folder = os.path.join(base, d)
        with open(os.path.join(folder, "entry.json")) as fh:
            entry = json.load(fh)
        out[d] = {"entry": entry, "artifact_sha256": _sha(os.path.join(folder, "model.json"))}
    return out


def _run(inputs):
    import os
    import tempfile

    import registry
    import train

    tmp = tempfile.mkdtemp()
    root = os.path.join(tmp, "registry")
    import hashlib

    returned, snapshots, trained = [], [], []
    for i, job in enumerate(inputs["jobs"]):
        data = os.path.join(tmp, f"data-{i}.csv")
        _write(data, job["csv"])
        artifact, metrics = train.train(data, job["params"])
        trained.append(hashlib.sha256(artifact).hexdigest())
        returned.append(registry.register(root, inputs["name"], artifact, metrics, data, job["params"], job["code_version"]))
        snapshots.append(_entries(root, inputs["name"]))
    return {"returned": returned, "snapshots": snapshots, "trained_sha256": trained}


def step_lineage(inputs):
    return _run(inputs)
