"""What the OpenAPI document adds to what FastAPI generates: the error shapes every route
can answer (``app.core.openapi``) and the links between operations, so a client (and the
fuzzer, tests/fuzz) can go register -> sign in -> exams -> start -> save -> submit ->
result with the values each answer gives."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app.core.openapi import Links, document_errors
from app.identity.dependencies import current_user_id, hot_user_id

_ATTEMPT = "$response.body#/id"
_SAME_ATTEMPT = "$request.path.attempt_id"


def _to(operation: str, **parameters: str) -> dict[str, Any]:
    return {"operationRef": operation, "parameters": parameters}


LINKS: Links = {
    ("POST", "/api/v1/auth/register", "201"): {
        "SignIn": {
            "operationRef": "POST /api/v1/auth/session",
            "requestBody": {"email": "$request.body#/email", "password": "$request.body#/password"},
        },
    },
    ("POST", "/api/v1/auth/session", "200"): {
        "Me": _to("GET /api/v1/me"),
        "Exams": _to("GET /api/v1/exams"),
    },
    ("GET", "/api/v1/exams", "200"): {
        "Start": _to("POST /api/v1/exams/{code}/attempts", code="$response.body#/0/code"),
    },
    **{
        ("POST", "/api/v1/exams/{code}/attempts", status): {
            "State": _to("GET /api/v1/attempts/{attempt_id}", attempt_id=_ATTEMPT),
            "Item": _to(
                "GET /api/v1/attempts/{attempt_id}/items/{ref}",
                attempt_id=_ATTEMPT,
                ref="$response.body#/items/0/ref",
            ),
            "Save": _to(
                "PUT /api/v1/attempts/{attempt_id}/responses/{ref}",
                attempt_id=_ATTEMPT,
                ref="$response.body#/items/0/ref",
            ),
            "Event": _to("POST /api/v1/attempts/{attempt_id}/events", attempt_id=_ATTEMPT),
            "Submit": _to("POST /api/v1/attempts/{attempt_id}/submit", attempt_id=_ATTEMPT),
        }
        for status in ("200", "201")
    },
    ("PUT", "/api/v1/attempts/{attempt_id}/responses/{ref}", "200"): {
        "SaveAgain": _to(
            "PUT /api/v1/attempts/{attempt_id}/responses/{ref}",
            attempt_id=_SAME_ATTEMPT,
            ref="$response.body#/ref",
        ),
        "Submit": _to("POST /api/v1/attempts/{attempt_id}/submit", attempt_id=_SAME_ATTEMPT),
    },
    ("POST", "/api/v1/attempts/{attempt_id}/submit", "202"): {
        "Result": _to("GET /api/v1/attempts/{attempt_id}/result", attempt_id=_SAME_ATTEMPT),
        "State": _to("GET /api/v1/attempts/{attempt_id}", attempt_id=_SAME_ATTEMPT),
    },
    ("GET", "/api/v1/review/attempts", "200"): {
        "Detail": _to(
            "GET /api/v1/review/attempts/{attempt_id}", attempt_id="$response.body#/0/attempt_id"
        ),
        "Decide": _to(
            "POST /api/v1/review/attempts/{attempt_id}/decisions",
            attempt_id="$response.body#/0/attempt_id",
        ),
        "ExtraTime": _to(
            "POST /api/v1/review/attempts/{attempt_id}/extra-time",
            attempt_id="$response.body#/0/attempt_id",
        ),
    },
    ("GET", "/api/v1/certificates", "200"): {
        "Verify": _to(
            "GET /api/v1/verify/{certificate_id}", certificate_id="$response.body#/0/certificate_id"
        ),
        "Credential": _to(
            "GET /api/v1/certificates/{certificate_id}/credential",
            certificate_id="$response.body#/0/certificate_id",
        ),
    },
}


def install(app: FastAPI) -> None:
    document_errors(app, signed_in=(current_user_id, hot_user_id), links=LINKS)
