"""The OpenAPI document says what each route answers, in the shape it answers
(app/core/openapi.py), and its links lead to operations that exist."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in openapi["paths"].items() for m, op in ops.items()]


def test_every_error_is_documented_in_the_error_shape(app: FastAPI) -> None:
    openapi = app.openapi()
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for method, path, op in _operations(openapi):
        for status, entry in op["responses"].items():
            if int(status) >= 400 and path != "/readyz":
                assert entry["content"]["application/json"]["schema"] == error_ref, (method, path)


def test_protected_routes_document_401_and_bodies_400_and_413(app: FastAPI) -> None:
    ops = {(m, p): op for m, p, op in _operations(app.openapi())}
    save = ops[("PUT", "/api/v1/attempts/{attempt_id}/responses/{ref}")]["responses"]
    assert {"400", "401", "403", "413", "422"} <= set(save)
    assert "session_ended" in save["401"]["description"]
    assert "401" in ops[("GET", "/api/v1/me")]["responses"]
    assert (
        "permission_denied"
        in ops[("GET", "/api/v1/review/attempts")]["responses"]["403"]["description"]
    )
    # Public routes do not claim a sign-in.
    assert "401" not in ops[("GET", "/api/v1/verify/{certificate_id}")]["responses"]
    assert "401" not in ops[("GET", "/api/v1/exams")]["responses"]


def test_links_lead_to_operations_and_their_parameters(app: FastAPI) -> None:
    openapi = app.openapi()
    found = 0
    for _, _, op in _operations(openapi):
        for entry in op["responses"].values():
            for name, link in entry.get("links", {}).items():
                found += 1
                _, _, path, method = link["operationRef"].split("/", 3)
                target = openapi["paths"][path.replace("~1", "/").replace("~0", "~")]
                params = {p["name"] for p in target[method].get("parameters", [])}
                assert set(link.get("parameters", {})) <= params, name
    assert found >= 15


async def test_get_on_the_batch_route_is_405_not_a_certificate_lookup(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/api/v1/verify/batch")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert r.json()["error"]["code"] == "method_not_allowed"
