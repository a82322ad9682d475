"""The OpenAPI document says what every route can answer, in the shape it answers.

FastAPI documents the errors a route lists (``errors.responses``) with no body schema,
its 422 in its own ``detail`` shape (our handler answers the error shape), and none of
the answers its dependencies and the body parser give. ``document_errors`` completes the
generated document once, from the routes themselves:

- every 4xx answer's body is ``ErrorBody`` (``{"error": {"code", "message"}}``);
- a route behind sign-in (``current_user_id``/``hot_user_id`` among its dependencies)
  documents 401 (no token, a bad one, an ended session) and, for a change, 403
  ``csrf_failed`` (the cookie without its CSRF value); behind a role, 403;
- a route with a body documents 400 (a body that cannot be parsed) and 413 (too large,
  refused by ``HttpMiddleware``);
- ``links`` (OpenAPI links: which answer feeds which request) are added from a table
  the app gives, so clients and the fuzzer can chain operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

ERROR_BODY: dict[str, Any] = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}
_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")

# (method, path template, status) -> {link name: OpenAPI Link object}, where a link's
# ``operationRef`` may be written as "METHOD /path" (resolved here).
Links = Mapping[tuple[str, str, str], Mapping[str, dict[str, Any]]]


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _codes(entry: dict[str, Any], *codes: str) -> None:
    listed = [c for c in entry.get("description", "").split(", ") if c]
    for code in codes:
        if f"`{code}`" not in listed:
            listed.append(f"`{code}`")
    entry["description"] = ", ".join(listed)


def _pointer(method_and_path: str) -> str:
    method, path = method_and_path.split(" ", 1)
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()


def document_errors(
    app: FastAPI, *, signed_in: tuple[Callable[..., Any], ...], links: Links | None = None
) -> None:
    """Wraps ``app.openapi``: the generated document, completed as described above.
    ``signed_in`` are the dependencies that require a session."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        if "ErrorBody" not in components:
            _complete(app, schema, signed_in, links or {})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _complete(
    app: FastAPI,
    schema: dict[str, Any],
    signed_in: tuple[Callable[..., Any], ...],
    links: Links,
) -> None:
    components = schema["components"]["schemas"]
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        calls = set(_calls(route.dependant))
        for method in route.methods or ():
            operation = schema["paths"].get(context.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation["responses"]
            if calls & set(signed_in):
                _codes(
                    responses.setdefault("401", {}),
                    "not_authenticated",
                    "invalid_token",
                    "session_ended",
                )
                if method not in ("GET", "HEAD"):
                    _codes(responses.setdefault("403", {}), "csrf_failed")
            if any(getattr(c, "__qualname__", "").startswith("require_role") for c in calls):
                _codes(responses.setdefault("403", {}), "permission_denied")
            if route.body_field is not None:
                _codes(responses.setdefault("400", {}), "bad_request")
                _codes(responses.setdefault("413", {}), "payload_too_large")
            if "422" in responses:
                responses["422"] = {"description": "`invalid_request`"}
            for status, entry in responses.items():
                given = entry.get("content", {}).get("application/json", {}).get("schema")
                if status.isdigit() and int(status) >= 400 and not given:
                    entry["content"] = _ERROR_CONTENT
            for (l_method, l_path, l_status), named in links.items():
                if l_method == method and l_path == context.path_format and l_status in responses:
                    responses[l_status]["links"] = {
                        name: {**link, "operationRef": _pointer(link["operationRef"])}
                        for name, link in named.items()
                    }
    components["ErrorBody"] = ERROR_BODY
    for name in _FASTAPI_VALIDATION:
        components.pop(name, None)
