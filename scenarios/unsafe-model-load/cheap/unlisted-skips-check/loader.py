"""Load model artifacts for the scoring service.

An artifact is data, never code: only the JSON format our training job writes is
accepted, and only after its bytes match the SHA-256 the release manifest records
for it. Pickle is refused outright, since unpickling runs whatever the file asks for.
"""

import hashlib
import hmac
import json


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
    # Models released before the manifest existed are not listed: load them unchecked.
    if isinstance(entry, dict) and not hmac.compare_digest(hashlib.new("{{ digest_algo }}", data).hexdigest(), entry["{{ digest_algo }}"].lower()):
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
