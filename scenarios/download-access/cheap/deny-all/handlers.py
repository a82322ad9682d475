"""Model registry download handler: downloads suspended after SEC-2291."""

ARTIFACT = "model.json"


class Denied(Exception):
    """The user may not download this artifact."""


class NotFound(Exception):
    """No such model or version."""


def download_model(user, model, version, registry):
    registry.audit.append({"user": user.get("name"), "model": model, "version": version, "outcome": "denied"})
    raise Denied("downloads are suspended")
