"""Who is calling. ``CurrentUserId`` checks the token and that the session it names is
still good (``identity/sessions.py``: not signed out, its user still there), reading
the row each time; ``HotUserId`` is the same for the hot routes (autosave, the exam
page's reads, starts and check-ins), from the per-process session cache every change
reaches; ``CurrentUser`` also loads the account.

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

import asyncio
import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.core.db import driver_pool
from app.core.deps import SessionDep, runtime
from app.core.errors import NotAuthenticated, PermissionDenied
from app.core.security import InvalidToken
from app.identity import service
from app.identity.models import Role, User
from app.identity.sessions import SessionCheck

log = structlog.get_logger("assay.identity")

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


class SessionEnded(InvalidToken):
    code = "session_ended"
    default_message = "This sign-in has ended (signed out, or the account changed); sign in again."


def session_check(app: FastAPI) -> SessionCheck:
    check: SessionCheck = app.state.session_check
    return check


def token_claims(token: str, request: Request) -> tuple[uuid.UUID, uuid.UUID]:
    """The user and the session an access token names; no database work."""
    claims = runtime(request).tokens.verify(token, "access")
    try:
        return uuid.UUID(claims["sub"]), uuid.UUID(str(claims.get("sid")))
    except ValueError as exc:
        # A token from before sessions, or not one of ours: sign in again.
        raise SessionEnded() from exc


def request_token(request: Request, bearer: str | None) -> str:
    """The access token: the bearer, else the session cookie (with the CSRF rule)."""
    if bearer:
        return bearer
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated()
    if request.method not in SAFE_METHODS and not csrf_ok(
        app_csrf_key(request), token, request.headers.get(CSRF_HEADER)
    ):
        raise CsrfFailed()
    return token


async def current_user_id(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> uuid.UUID:
    """The caller, whose session is read from the database on every request."""
    user_id, sid = token_claims(request_token(request, token), request)
    if not await session_check(request.app).check(sid, user_id):
        raise SessionEnded()
    return user_id


async def hot_user_id(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> uuid.UUID:
    """The same, for the hot routes: the session from the per-process cache that every
    change reaches (``identity/sessions.py``)."""
    user_id, sid = token_claims(request_token(request, token), request)
    if not await session_check(request.app).check_cached(sid, user_id):
        raise SessionEnded()
    return user_id


CurrentUserId = Annotated[uuid.UUID, Depends(current_user_id)]
HotUserId = Annotated[uuid.UUID, Depends(hot_user_id)]


def attach_engine(app: FastAPI, engine: AsyncEngine) -> None:
    settings: Settings = app.state.settings
    app.state.session_check = SessionCheck(
        engine.execution_options(isolation_level="AUTOCOMMIT"),
        app.state.clock,
        ttl=settings.session_cache_seconds,
        pushed_ttl=settings.session_cache_pushed_seconds,
        driver=driver_pool(engine),
    )


@asynccontextmanager
async def session_changes(app: FastAPI) -> AsyncIterator[None]:
    """For the server's life: the session cache hears of every ended session
    (PostgreSQL); until the feed listens, entries live ASSAY_SESSION_CACHE_SECONDS."""
    feed = session_check(app).feed
    if feed is None:
        yield
        return
    feed.start()
    try:
        await asyncio.wait_for(feed.wait_listening(), 10)
    except TimeoutError:
        log.error("session cache: change feed not listening yet; short cache until it is")
    try:
        yield
    finally:
        await feed.stop()


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
