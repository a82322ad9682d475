"""A file-based model registry: <root>/<name>/v<N>/{model.json,entry.json}."""

import json
import os


def _latest_version(root, name):
    path = os.path.join(root, name)
    if not os.path.isdir(path):
        return 0
    versions = [int(d[1:]) for d in os.listdir(path) if d.startswith("v") and d[1:].isdigit()]
    return max(versions, default=0)


def register(root, name, artifact, metrics, data_path, params, code_version):
    """Store ``artifact`` (bytes) as a new version of ``name``; return the entry."""
    version = max(_latest_version(root, name), 1)
    folder = os.path.join(root, name, f"v{version}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.json"), "wb") as fh:
        fh.write(artifact)
    entry = {"name": name, "version": version, "metrics": metrics}
    with open(os.path.join(folder, "entry.json"), "w") as fh:
        json.dump(entry, fh, indent=2)
    return entry
