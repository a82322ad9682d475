"""A file-based model registry: <root>/<name>/v<N>/{model.json,entry.json}.

A version is written once: each registration takes the next number and creates its
folder (never an existing one), and its entry records where the model came from.
"""

import json
import os

import lineage


def _latest_version(root, name):
    path = os.path.join(root, name)
    if not os.path.isdir(path):
        return 0
    versions = [int(d[1:]) for d in os.listdir(path) if d.startswith("v") and d[1:].isdigit()]
    return max(versions, default=0)


def register(root, name, artifact, metrics, data_path, params, code_version):
    """Store ``artifact`` (bytes) as a new version of ``name``; return the entry."""
    version = _latest_version(root, name) + 1
    folder = os.path.join(root, name, f"v{version}")
    # exist_ok=False: a version folder is written once, never overwritten.
    os.makedirs(folder)
    artifact_path = os.path.join(folder, "model.json")
    with open(artifact_path, "wb") as fh:
        fh.write(artifact)
    entry = {
        "name": name,
        "version": version,
        "metrics": metrics,
        "provenance": {
            "dataset_blake2b": lineage.fingerprint(data_path),
            "training_rows": lineage.count_rows(data_path),
            "git_commit": code_version,
            "params": dict(params),
            "artifact_blake2b": lineage.fingerprint(artifact_path),
        },
    }
    with open(os.path.join(folder, "entry.json"), "w") as fh:
        json.dump(entry, fh, indent=2)
    return entry
