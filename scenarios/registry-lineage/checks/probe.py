# Inside the sandbox: train and register on generated data files; report what the
# registry holds on disk (entries and the artifacts' bytes, in hex), as data.


def _write(path, text):
    with open(path, "w", newline="") as fh:
        fh.write(text)


def _hex(path):
    with open(path, "rb") as fh:
        return fh.read().hex()


def _entries(root, name):
    import json
    import os

    out = {}
    base = os.path.join(root, name)
    for d in sorted(os.listdir(base)):
        folder = os.path.join(base, d)
        with open(os.path.join(folder, "entry.json")) as fh:
            entry = json.load(fh)
        out[d] = {"entry": entry, "artifact_hex": _hex(os.path.join(folder, "model.json"))}
    return out


def _run(inputs):
    import os
    import tempfile

    import registry
    import train

    tmp = tempfile.mkdtemp()
    root = os.path.join(tmp, "registry")
    returned, snapshots, trained = [], [], []
    for i, job in enumerate(inputs["jobs"]):
        data = os.path.join(tmp, f"data-{i}.csv")
        _write(data, job["csv"])
        artifact, metrics = train.train(data, job["params"])
        trained.append(artifact.hex())
        returned.append(registry.register(root, inputs["name"], artifact, metrics, data, job["params"], job["code_version"]))
        snapshots.append(_entries(root, inputs["name"]))
    return {"returned": returned, "snapshots": snapshots, "trained": trained}


def step_lineage(inputs):
    return _run(inputs)
