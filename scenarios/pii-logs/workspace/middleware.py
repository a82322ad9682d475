"""Request tracing for the scoring endpoint (shared with the other ML services)."""

import logging

log = logging.getLogger("scoring.http")


def traced(request, handler):
    """Run ``handler(request)`` with an access-log line, and the payload at DEBUG for
    troubleshooting (the platform raises the level per pod when asked)."""
    log.debug("payload %r", request)
    try:
        result = handler(request)
    except Exception:
        log.exception("request failed: %r", request)
        raise
    log.info("served %s", request.get("request_id"))
    return result
