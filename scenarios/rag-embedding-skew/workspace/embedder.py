"""Embedding models as the platform's model server exposes them (a deterministic
stand-in: same model, version and text give the same vector, as in production).

Owned by the embedding team; the retrieval service only calls ``load``.
"""

import hashlib
import math
import re

TOKEN = re.compile(r"[A-Za-z0-9]+")


class UnknownModel(Exception):
    pass


class Embedder:
    def __init__(self, name, version, dim):
        self.name = name
        self.version = version
        self.dim = dim

    def embed(self, text):
        """Unit-length vector of ``dim`` floats. Text is embedded exactly as given:
        any normalisation (case, whitespace) is the caller's pipeline's job."""
        vec = [0.0] * self.dim
        for token in TOKEN.findall(text):
            digest = hashlib.sha256(f"{self.name}/{self.version}/{token}".encode()).digest()
            slot = int.from_bytes(digest[:4], "big") % self.dim
            vec[slot] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def __repr__(self):
        return f"Embedder({self.name}@{self.version}, dim={self.dim})"


def resolve(registry, name, version):
    """A concrete version for ``version``, which may be an alias (``latest``)."""
    model = registry["models"].get(name)
    if model is None:
        raise UnknownModel(name)
    version = str(version)
    version = str(model.get("aliases", {}).get(version, version))
    if version not in model["versions"]:
        raise UnknownModel(f"{name}@{version}")
    return version


def load(registry, name, version):
    version = resolve(registry, name, version)
    return Embedder(name, version, int(registry["models"][name]["versions"][version]["dim"]))
