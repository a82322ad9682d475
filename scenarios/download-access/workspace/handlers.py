"""Model registry download handler."""

import os


class Denied(Exception):
    """The user may not download this artifact."""


class NotFound(Exception):
    """No such model or version."""


def download_model(user, model, version, registry):
    """Bytes of ``model``'s artifact ``version`` for ``user`` ({"name", "teams", "roles"})."""
    path = os.path.join(registry.root, model, version, "model.json")
    if not os.path.exists(path):
        raise NotFound(f"{model} {version} not found")
    with open(path, "rb") as fh:
        return fh.read()
