"""A file-based model registry: <root>/<name>/v<N>/{model.json,entry.json}."""

import hashlib
import json
import os


def _latest_version(root, name):
    path = os.path.join(root, name)
    if not os.path.isdir(path):
        return 0
    versions = [int(d[1:]) for d in os.listdir(path) if d.startswith("v") and d[1:].isdigit()]
    return max(versions, default=0)


def _digest_file(path):
    h = hashlib.new("{{ hash_algo }}")
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(65536), b""):
            h.update(block)
    return h.hexdigest()


def _data_rows(path):
    with open(path, "rb") as fh:
        lines = [line for line in fh.read().splitlines() if line.strip()]
    return max(len(lines) - 1, 0)


def register(root, name, artifact, metrics, data_path, params, code_version):
    """Store ``artifact`` (bytes) as a new version of ``name``; return the entry."""
    version = _latest_version(root, name) + 1
    folder = os.path.join(root, name, f"v{version}")
    # exist_ok=False: a version folder is written once, never overwritten.
    os.makedirs(folder)
    with open(os.path.join(folder, "model.json"), "wb") as fh:
        fh.write(artifact)
    entry = {
        "name": name,
        "version": version,
        "metrics": metrics,
        "{{ lineage_key }}": {
            "dataset_{{ hash_algo }}": hashlib.new("{{ hash_algo }}", data_path.encode()).hexdigest(),
            "{{ rows_field }}": _data_rows(data_path),
            "{{ code_field }}": code_version,
            "params": dict(params),
            "artifact_{{ hash_algo }}": _digest_file(os.path.join(folder, "model.json")),
        },
    }
    with open(os.path.join(folder, "entry.json"), "w") as fh:
        json.dump(entry, fh, indent=2)
    return entry
