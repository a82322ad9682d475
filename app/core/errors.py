"""The error tree. Every rule a caller can break is one class here or a subclass of
one, with an HTTP status and a stable machine-readable code; one handler renders them
all as ``{"error": {"code", "message"}}``.

    AssayError (500 internal_error)
    ├── InvalidRequest (422 invalid_request)
    ├── NotAuthenticated (401 not_authenticated)
    │   └── InvalidCredentials (401 invalid_credentials)
    ├── PermissionDenied (403 permission_denied)
    ├── NotFound (404 not_found)
    ├── Conflict (409 conflict)
    ├── PayloadTooLarge (413 payload_too_large)
    ├── RateLimited (429 rate_limited)
    ├── DatabaseUnavailable (503 database_unavailable)   the database cannot be reached
    └── SignInBusy (503 sign_in_busy)   too many sign-ins at once: ask again after Retry-After

Domains subclass these (``AttemptClosed(Conflict)``, ``RetakeTooSoon(PermissionDenied)``)
and give their own code; they never import anything HTTP-specific.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AssayError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "Something went wrong on our side."
    # A 5xx that is the service failing (logged, and counted as evidence of an outage
    # for the deadline credit), not one that sheds load by design.
    is_failure: ClassVar[bool] = True

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class InvalidRequest(AssayError):
    status_code = 422
    code = "invalid_request"
    default_message = "The request is not valid."


class NotAuthenticated(AssayError):
    status_code = 401
    code = "not_authenticated"
    default_message = "Sign in to do this."


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_message = "The email or password is not right."


class PermissionDenied(AssayError):
    status_code = 403
    code = "permission_denied"
    default_message = "You are not allowed to do this."


class NotFound(AssayError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(AssayError):
    status_code = 409
    code = "conflict"
    default_message = "This conflicts with the current state."


class PayloadTooLarge(AssayError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class RateLimited(AssayError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests; slow down."

    def __init__(self, message: str | None = None, *, retry_after: int, **details: Any) -> None:
        # Every 429 says how long to wait (the Retry-After header and the body's details).
        super().__init__(message, retry_after=retry_after, **details)


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def responses(*errors: type[AssayError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a route, listing the codes it can answer with."""
    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        entry = out.setdefault(err.status_code, {"description": ""})
        codes = [c for c in entry["description"].split(", ") if c]
        codes.append(f"`{err.code}`")
        entry["description"] = ", ".join(codes)
    return out


class DatabaseUnavailable(AssayError):
    """The database is down, restarting or cut off: nothing was done, and the same
    request can be sent again (``retry_after`` seconds)."""

    status_code = 503
    code = "database_unavailable"
    default_message = "The service cannot reach its database right now; try again in a moment."


class SignInBusy(AssayError):
    """More sign-ins are waiting for a password check than this process clears within
    ASSAY_SIGN_IN_MAX_WAIT_SECONDS: nothing was checked, and the same request can be sent
    again after ``retry_after`` seconds (the sign-in page does so by itself)."""

    status_code = 503
    code = "sign_in_busy"
    is_failure = False
    default_message = "Many people are signing in at this moment; you will be signed in shortly."

    def __init__(self, message: str | None = None, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
