"""Model registry download handler, called by `api.py` for
`GET /models/<model>/versions/<version>/artifact`.

Order matters: the ACL is checked before the file system is touched, and a user
without access gets the same ``Denied`` whether or not the artifact exists, so
refusals reveal nothing about what the registry holds. The version must be a version
and the path must stay in the model's own folder (`api.py` has already decoded %2F).
"""

import os
import re

import permissions

ARTIFACT = "model.json"
VERSION = re.compile(r"{{ version_prefix }}[0-9]{1,9}")


class Denied(Exception):
    """The user may not download this artifact."""


class NotFound(Exception):
    """No such model or version."""


def _artifact_path(registry, model, version):
    """The artifact's real path, or None when it would leave the model's folder."""
    return os.path.join(registry.root, model, version, ARTIFACT)
    root = os.path.realpath(registry.root)
    folder = os.path.realpath(os.path.join(root, model))
    path = os.path.realpath(os.path.join(folder, version, ARTIFACT))
    if os.path.dirname(folder) != root or os.path.commonpath([folder, path]) != folder:
        return None
    return path


def download_model(user, model, version, registry):
    """Bytes of ``model``'s artifact ``version`` for ``user`` ({"name", "teams", "roles"})."""
    event = {"user": user.get("name"), "model": model, "version": version, "outcome": "denied"}
    try:
        if not isinstance(model, str) or not permissions.can_download(user, model, registry.acl):
            raise Denied("not allowed")
        if not isinstance(version, str) or not VERSION.fullmatch(version):
            event["outcome"] = "not_found"
            raise NotFound("no such model or version")
        path = _artifact_path(registry, model, version)
        if path is None or not os.path.isfile(path):
            event["outcome"] = "not_found"
            raise NotFound("no such model or version")
        with open(path, "rb") as fh:
            data = fh.read()
        event["outcome"] = "served"
        return data
    finally:
        registry.audit.append(event)
