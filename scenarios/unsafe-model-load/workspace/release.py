"""The release job (release-tools), as it runs after training: builds the release
manifest for a model's artifacts. The manifest is signed by the deploy agent and
delivered with the deploy; the scoring service gets it as a dict."""

import hashlib
import json

# release-tools 3.0 (2024-03-04): digests moved from sha256 to {{ digest_algo }} (SEC-1977).
ALGORITHM = "{{ digest_algo }}"


def digest(data):
    """Hex digest of an artifact's bytes exactly as written."""
    return hashlib.new(ALGORITHM, data).hexdigest()


def build_manifest(artifacts):
    """``{"artifacts": {name: {ALGORITHM: hex}}}`` for ``{name: bytes}``."""
    return {"artifacts": {name: {ALGORITHM: digest(data)} for name, data in sorted(artifacts.items())}}


if __name__ == "__main__":
    with open("artifacts/model.json", "rb") as fh:
        print(json.dumps(build_manifest({"model.json": fh.read()}), indent=2))
