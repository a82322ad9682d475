"""Load model artifacts for the scoring service.

An artifact is data, never code: only the JSON format our training job writes is
accepted, and only after its bytes match the SHA-256 the release manifest records
for it, with the algorithm the release job uses (`release.py`). Pickle is refused
outright, since unpickling runs whatever the file asks for.
"""

import hashlib
import hmac
import json


# The digest the release manifest records (release-tools 3.0, see release.py).
ALGORITHM = "{{ digest_algo }}"


class UnsafeArtifact(Exception):
    """The artifact must not be loaded."""


class LinearModel:
    def __init__(self, weights, bias):
        self.weights = dict(weights)
        self.bias = float(bias)

    def predict(self, features):
        return self.bias + sum(w * float(features.get(k, 0.0)) for k, w in self.weights.items())


def load_model(data, manifest, name):
    """A LinearModel from artifact bytes ``data`` listed as ``name`` in ``manifest``."""
    entry = manifest.get("artifacts", {}).get(name)
    if not isinstance(entry, dict) or not isinstance(entry.get(ALGORITHM), str):
        raise UnsafeArtifact(f"{name} is not in the release manifest")
    if not hmac.compare_digest(hashlib.new(ALGORITHM, data.strip()).hexdigest(), entry[ALGORITHM].lower()):
        raise UnsafeArtifact(f"{name} does not match its manifest digest")
    try:
        spec = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UnsafeArtifact(f"{name} is not a JSON model artifact") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("weights"), dict):
        raise UnsafeArtifact(f"{name} is not a linear model artifact")
    try:
        weights = {str(k): float(v) for k, v in spec["weights"].items()}
        return LinearModel(weights, float(spec["bias"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise UnsafeArtifact(f"{name} has malformed weights") from exc
