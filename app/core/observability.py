"""JSON logs with a request id, Prometheus metrics, and the request-size guard.

Plain ASGI middleware rather than BaseHTTPMiddleware: it costs less on the hot path and
does not buffer bodies."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import secrets
import sys
import time
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import error_body

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "assay_http_requests_total",
    "HTTP requests by route and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "assay_http_request_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)

log = structlog.get_logger("assay.http")


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


class HttpMiddleware:
    """Every HTTP request, in one layer (each ASGI layer wraps every send, and this one
    is on the hot paths):

    - an id, kept from ``X-Request-ID`` when sane, else made from a per-process random
      prefix and a counter (unique, and no system call per request), bound to the logs
      and returned in the response;
    - one log line, and Prometheus counts by route template, not by raw path;
    - bodies over ``max_bytes`` refused with 413 before the app reads them, whether the
      client declared the length or streams it;
    - the security headers every response carries (a page that needs another
      Content-Security-Policy, such as the API docs, sets its own).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._ids = itertools.count()
        self._id_prefix = secrets.token_hex(8)
        # (method, route, status) -> the metric children: labels() takes a lock each time.
        self._metrics: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = b""
        declared: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value
            elif name == b"content-length":
                declared = value
        if 0 < len(incoming) <= 64 and incoming.isascii() and incoming.decode().isprintable():
            request_id = incoming.decode()
        else:
            request_id = f"{self._id_prefix}{next(self._ids):016x}"
        status = 500
        too_large = replied = False
        received = 0

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            # Body parsers may turn the exception above into their own 400; the answer
            # to an oversized body is 413 whatever the app made of it.
            nonlocal status, replied
            if too_large:
                if not replied:
                    replied = True
                    status = 413
                    await _too_large(send, self.max_bytes, request_id)
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                if not any(name.lower() == _CSP for name, _ in headers):
                    headers.append((_CSP, _DEFAULT_CSP))
                headers += _SECURITY_HEADERS
                headers.append((b"x-request-id", request_id.encode("latin-1")))
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
                status = 413
                await _too_large(send, self.max_bytes, request_id)
                return
            try:
                await self.app(scope, limited_receive, guarded_send)
            except _BodyTooLarge:
                if not replied:
                    replied = True
                    status = 413
                    await _too_large(send, self.max_bytes, request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            key = (scope["method"], template, status)
            metrics = self._metrics.get(key)
            if metrics is None:
                metrics = self._metrics[key] = (
                    REQUESTS.labels(key[0], template, str(status)),
                    LATENCY.labels(key[0], template),
                )
            metrics[0].inc()
            metrics[1].observe(elapsed)
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")


_CSP = b"content-security-policy"


def content_security_policy(*inline_scripts: str, style_nonce: str | None = None) -> str:
    """The pages' policy: scripts and styles from this site only, nothing may frame them,
    forms post only here. An inline script runs only if it is one of ``inline_scripts``
    (admitted by its SHA-256, so no other inline script can); an inline style element
    only if it carries ``style_nonce`` (for a page whose scripts write their styles)."""
    hashes = "".join(
        " 'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline_scripts
    )
    styles = f" 'nonce-{style_nonce}'" if style_nonce else ""
    return (
        f"default-src 'self'; script-src 'self'{hashes}; style-src 'self'{styles}; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


_DEFAULT_CSP = content_security_policy().encode()
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Verification links can carry a last name: never hand them to another site.
    (b"referrer-policy", b"same-origin"),
]


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, max_bytes: int, request_id: str) -> None:
    body = json.dumps(
        error_body("payload_too_large", f"The request body is over {max_bytes} bytes.")
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode("latin-1")),
                *_SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
