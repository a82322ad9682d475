"""Who is calling. ``CurrentUserId`` checks the token only (no query: the hot paths scope
their own queries by it); ``CurrentUser`` also loads the account.

Two ways in, both carrying the same access token:
- ``Authorization: Bearer`` for API clients; no CSRF rule applies (a browser never adds
  that header to a cross-site request on its own);
- the ``assay_session`` cookie the pages sign in with (HttpOnly, SameSite=Lax). A
  state-changing request that relies on it must also send ``X-CSRF-Token``: the HMAC of
  the session token under the app's CSRF key, which the page got at sign-in (in the
  readable ``assay_csrf`` cookie and in its ``<meta name="csrf-token">``). Another site
  can make the browser send the cookie but can neither read nor compute that value, and
  a planted ``assay_csrf`` cookie does not help because the value is tied to the session.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.core.deps import SessionDep, runtime
from app.core.errors import NotAuthenticated, PermissionDenied
from app.core.security import InvalidToken
from app.identity import service
from app.identity.models import Role, User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

SESSION_COOKIE = "assay_session"
CSRF_COOKIE = "assay_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"
    default_message = (
        "This request came with the session cookie but without a valid X-CSRF-Token header."
    )


def csrf_key(secret: str) -> bytes:
    """A key of its own for CSRF values, derived from the app secret."""
    return hmac.new(secret.encode(), b"assay csrf v1", hashlib.sha256).digest()


def csrf_token_for(key: bytes, session_token: str) -> str:
    return hmac.new(key, session_token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(key: bytes, session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(
        csrf_token_for(key, session_token), presented
    )


def app_csrf_key(request: Request) -> bytes:
    key: bytes = request.app.state.csrf_key
    return key


async def current_user_id(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> uuid.UUID:
    if not token:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotAuthenticated()
        if request.method not in SAFE_METHODS and not csrf_ok(
            app_csrf_key(request), token, request.headers.get(CSRF_HEADER)
        ):
            raise CsrfFailed()
    claims = runtime(request).tokens.verify(token, "access")
    try:
        return uuid.UUID(claims["sub"])
    except ValueError as exc:
        raise InvalidToken() from exc


CurrentUserId = Annotated[uuid.UUID, Depends(current_user_id)]


async def current_user(session: SessionDep, user_id: CurrentUserId) -> User:
    user = await service.get_user(session, user_id)
    if user is None:
        raise InvalidToken()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: Role) -> Callable[..., Coroutine[Any, Any, User]]:
    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise PermissionDenied()
        return user

    return check
