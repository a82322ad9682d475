"""Request tracing for the scoring endpoint (shared with the other ML services).

Requests carry direct identifiers: only the request id and the payload's field names
are ever logged, whatever the level.
"""

import logging

log = logging.getLogger("scoring.http")


def traced(request, handler):
    """Run ``handler(request)`` with an access-log line; at DEBUG, the payload's field
    names (never its values) for troubleshooting."""
    log.debug("payload fields %s", sorted(request))
    try:
        result = handler(request)
    except Exception:
        log.exception("request failed: %r", request)
        raise
    log.info("served %s", request.get("request_id"))
    return result
