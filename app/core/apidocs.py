"""The API's documentation pages, served whole by the app: Swagger UI at /docs and ReDoc
at /redoc with their assets from the ``fastapi-offline`` package (no CDN, so they work on
a network without one), each with a Content-Security-Policy that allows its own inline
start-up script by hash and nothing else inline."""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from app.core.staticfiles import CompressedStaticFiles

ASSETS = "/static/docs"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def _with_policy(page: HTMLResponse, *, worker: bool = False) -> tuple[bytes, dict[str, str]]:
    """The page's body, and its headers with a policy that admits its inline scripts."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(page.body)
    )
    # Both UIs set style attributes as they render: styles may be inline, scripts not.
    policy = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
        f"base-uri 'self'; frame-ancestors 'none'{'; worker-src blob:' if worker else ''}"
    )
    return bytes(page.body), {"Content-Security-Policy": policy}


def install_docs(app: FastAPI) -> None:
    """For an app made with ``docs_url=None, redoc_url=None``."""
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS, CompressedStaticFiles(directory=str(assets)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    swagger = _with_policy(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
        )
    )
    redoc = _with_policy(
        get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url="/favicon.ico",
            with_google_fonts=False,
        ),
        worker=True,
    )

    # A response per request: the app's layers add headers to the one they are sent.
    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger[0], headers=swagger[1])

    @app.get("/redoc", include_in_schema=False)
    async def redoc_ui() -> HTMLResponse:
        return HTMLResponse(redoc[0], headers=redoc[1])
