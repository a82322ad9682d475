"""Model registry download handler, called by `api.py` for
`GET /models/<model>/versions/<version>/artifact`."""

import os

ARTIFACT = "model.json"


class Denied(Exception):
    """The user may not download this artifact."""


class NotFound(Exception):
    """No such model or version."""


def download_model(user, model, version, registry):
    """Bytes of ``model``'s artifact ``version`` for ``user`` ({"name", "teams", "roles"})."""
    # Storage moved to one folder per model and version (PLAT-812); artifacts are
    # looked up directly in the new layout.
    path = os.path.join(registry.root, model, version, ARTIFACT)
    if not os.path.exists(path):
        raise NotFound(f"{model} {version} not found")
    with open(path, "rb") as fh:
        return fh.read()
