"""Model registry download handler.

Order matters: the version is validated and the ACL checked before the file system
is touched, and a user without access gets the same ``Denied`` whether or not the
artifact exists, so refusals reveal nothing about what the registry holds.
"""

import os
import re

VERSION = re.compile(r"v[0-9]{1,9}")


class Denied(Exception):
    """The user may not download this artifact."""


class NotFound(Exception):
    """No such model or version."""


def _allowed(user, model, registry):
    if "auditor" in (user.get("roles") or []):
        return True
    teams = registry.acl.get(model) or []
    return any(team in teams for team in user.get("teams") or [])


def _artifact_path(registry, model, version):
    """The artifact's real path, or None when it would leave the model's folder."""
    root = os.path.realpath(registry.root)
    folder = os.path.realpath(os.path.join(root, model))
    path = os.path.realpath(os.path.join(folder, version, "model.json"))
    if os.path.dirname(folder) != root or os.path.commonpath([folder, path]) != folder:
        return None
    return path


def download_model(user, model, version, registry):
    """Bytes of ``model``'s artifact ``version`` for ``user`` ({"name", "teams", "roles"})."""
    event = {"user": user.get("name"), "model": model, "version": version, "outcome": "denied"}
    try:
        if not isinstance(version, str) or not VERSION.fullmatch(version):
            event["outcome"] = "not_found"
            raise NotFound("no such model or version")
        path = _artifact_path(registry, model, version)
        if path is None or not os.path.isfile(path):
            event["outcome"] = "not_found"
            raise NotFound("no such model or version")
        if not isinstance(model, str) or model not in registry.acl or not _allowed(user, model, registry):
            raise Denied("not allowed")
        with open(path, "rb") as fh:
            data = fh.read()
        event["outcome"] = "served"
        return data
    finally:
        registry.audit.append(event)
