"""The registry API's routing for artifact downloads, without the web framework."""

from urllib.parse import unquote

import handlers

PREFIX = "/models/"
SUFFIX = "/artifact"


def route(method, raw_path, user, registry):
    """(status, body) for one request; ``raw_path`` as it arrived, percent-encoded."""
    if method != "GET" or not raw_path.startswith(PREFIX) or not raw_path.endswith(SUFFIX):
        return 404, b""
    parts = raw_path[len(PREFIX):-len(SUFFIX)].split("/")
    if len(parts) != 3 or parts[1] != "versions":
        return 404, b""
    model, version = unquote(parts[0]), unquote(parts[2])
    try:
        return 200, handlers.download_model(user, model, version, registry)
    except handlers.Denied:
        return 403, b""
    except handlers.NotFound:
        return 404, b""
