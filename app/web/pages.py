"""What every page needs: the templates, who is signed in (from the session cookie) and
the CSRF value the page's scripts send back, and plain-words error pages."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.deps import runtime
from app.core.errors import AssayError
from app.identity import service as identity_service
from app.identity.dependencies import (
    SESSION_COOKIE,
    app_csrf_key,
    csrf_token_for,
    session_check,
    token_claims,
)
from app.identity.models import Role, User

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def long_date(value: date | str) -> str:
    """A date as people write it: 2 March 2026 (from a date or an ISO string)."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day.day} {day.strftime('%B %Y')}"


def long_time(value: datetime) -> str:
    """A moment as people write it, in UTC: 2 March 2026, 10:00 UTC."""
    return f"{long_date(value.date())}, {value.astimezone(UTC).strftime('%H:%M')} UTC"


def cert_id(shown: str) -> Markup:
    """A certificate ID whose groups never break inside (a line may break between them)."""
    groups = [f'<span class="grp">{escape(g)}</span>' for g in str(shown).split("-")]
    return Markup(f'<span class="cert-id">{"-<wbr>".join(groups)}</span>')  # noqa: S704


templates.env.filters["long_date"] = long_date
templates.env.filters["cert_id"] = cert_id
templates.env.filters["long_time"] = long_time

_ERRORS = {
    401: ("Please sign in", "Sign in to see this page."),
    403: ("Not allowed", "Your account cannot open this page."),
    404: ("Page not found", "There is nothing at this address. Check the link and try again."),
    405: ("Not allowed", "This page cannot be used that way."),
    429: ("Too many requests", "Please wait a little and try again."),
}


def _claims(request: Request) -> dict[str, Any] | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return runtime(request).tokens.verify(token, "access")
    except AssayError:
        return None


def session_user_id(request: Request) -> uuid.UUID | None:
    """The signed-in user, or None: a page never fails on a stale or forged cookie."""
    claims = _claims(request)
    try:
        return uuid.UUID(claims["sub"]) if claims else None
    except (ValueError, KeyError):
        return None


async def signed_in_user_id(request: Request) -> uuid.UUID | None:
    """The signed-in user whose session is still good (read from the database), or None:
    pages that show an account's data ask this, not the token alone."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        user_id, sid = token_claims(token, request)
    except AssayError:
        return None
    return user_id if await session_check(request.app).check(sid, user_id) else None


def session_may_review(request: Request) -> bool:
    """Whether to show the Review link: the role the token was issued with. Only a hint
    for the menu; the review pages check the account's current role."""
    claims = _claims(request)
    return claims is not None and claims.get("role") in ("proctor", "admin")


def session_may_author(request: Request) -> bool:
    """Whether to show the item analysis link (a hint, as for the Review link)."""
    claims = _claims(request)
    return claims is not None and claims.get("role") in ("author", "admin")


def csrf_token(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE)
    return csrf_token_for(app_csrf_key(request), token) if token else ""


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("signed_in", session_user_id(request) is not None)
    context.setdefault("may_review", session_may_review(request))
    context.setdefault("may_author", session_may_author(request))
    response = templates.TemplateResponse(
        request,
        template,
        {"csrf_token": csrf_token(request), **context},
        status_code=status_code,
    )
    # Pages show personal data and answers: never keep them in a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def to_sign_in(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)


def wants_page(request: Request) -> bool:
    """A person's browser asking for a page (not a client of the JSON API)."""
    path = request.url.path
    if path.startswith(("/api/", "/static/")) or path in ("/docs", "/openapi.json"):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status_code: int, message: str | None = None) -> Response:
    title, default = _ERRORS.get(
        status_code, ("Something went wrong", "Please try again in a moment.")
    )
    return render(
        request, "error.html", status_code=status_code, title=title, message=message or default
    )


async def staff_user(
    request: Request, session: AsyncSession, roles: Collection[Role], refused: str
) -> User | Response:
    """The signed-in user if their role is one of ``roles``; otherwise the page to show
    instead: sign-in for nobody (or a user since deleted), 403 with ``refused`` for
    another role."""
    user_id = await signed_in_user_id(request)
    if user_id is None:
        return to_sign_in(request)
    user = await identity_service.get_user(session, user_id)
    if user is None:
        return to_sign_in(request)
    if user.role not in roles:
        return error_page(request, 403, refused)
    return user
