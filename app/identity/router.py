from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.config import Settings
from app.core.db import session_scope
from app.core.deps import (
    ClockDep,
    SessionDep,
    SessionmakerDep,
    SettingsDep,
    TokensDep,
    UnitOfWorkRoute,
)
from app.core.errors import AssayError, InvalidCredentials, InvalidRequest, SignInBusy, responses
from app.core.text import Text
from app.identity import service
from app.identity.dependencies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    CurrentUserId,
    SessionEnded,
    app_csrf_key,
    csrf_token_for,
    oauth2_scheme,
    session_check,
    token_claims,
)
from app.identity.exceptions import EmailTaken, WrongPassword
from app.identity.schemas import RegisterIn, TokenOut, UserOut
from app.proctoring import flows as proctoring_flows
from app.proctoring.dependencies import ClientDep

router = APIRouter(prefix="/api/v1", tags=["identity"], route_class=UnitOfWorkRoute)


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=responses(EmailTaken, InvalidRequest, SignInBusy),
)
async def register(body: RegisterIn, session: SessionDep, clock: ClockDep) -> UserOut:
    user = await service.create_user(
        session, clock, email=body.email, password=body.password, full_name=body.full_name
    )
    return UserOut.model_validate(user)


class PasswordForm:
    """The OAuth2 password form (RFC 6749 4.3), its text under the input rule (``Text``);
    FastAPI's own form class takes any string."""

    def __init__(
        self,
        username: Annotated[Text, Form(max_length=320)],
        password: Annotated[Text, Form(max_length=256)],
        grant_type: Annotated[Text | None, Form(pattern="^password$")] = None,
        scope: Annotated[Text, Form(max_length=1000)] = "",
    ) -> None:
        self.username = username
        self.password = password
        self.grant_type = grant_type
        self.scopes = scope.split()


@router.post(
    "/auth/token", response_model=TokenOut, responses=responses(InvalidCredentials, SignInBusy)
)
async def token(
    form: Annotated[PasswordForm, Depends()],
    session: SessionDep,
    tokens: TokensDep,
    settings: SettingsDep,
    clock: ClockDep,
    client: ClientDep,
) -> TokenOut:
    user = await service.authenticate(session, form.username, form.password)
    # A sign-in while an attempt runs is evidence for the proctors.
    await proctoring_flows.record_login(session, clock, user.id, client, via="token")
    ttl = timedelta(minutes=settings.access_token_minutes)
    signed_in = await service.open_session(session, clock, user, via="token", ttl=ttl)
    access, _ = tokens.issue(
        str(user.id), "access", ttl, role=user.role.value, sid=str(signed_in.id)
    )
    return TokenOut(access_token=access, expires_in=int(ttl.total_seconds()))


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


class SessionIn(BaseModel):
    """Browser sign-in. JSON only: a cross-site HTML form cannot send it, so another site
    cannot sign a visitor in to an account of its choosing."""

    model_config = ConfigDict(extra="forbid")

    email: Text = Field(min_length=1, max_length=320)
    password: Text = Field(min_length=1, max_length=256)


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str
    expires_in: int


@router.post(
    "/auth/session",
    response_model=SessionOut,
    responses=responses(InvalidCredentials, InvalidRequest, SignInBusy),
)
async def sign_in_with_cookie(
    body: SessionIn,
    request: Request,
    response: Response,
    session: SessionDep,
    tokens: TokensDep,
    settings: SettingsDep,
    clock: ClockDep,
    client: ClientDep,
) -> SessionOut:
    """Signs the browser in: the access token goes into an HttpOnly cookie, and the CSRF
    value every state-changing request must echo in ``X-CSRF-Token`` is returned (and set
    in a readable cookie)."""
    user = await service.authenticate(session, body.email, body.password)
    await proctoring_flows.record_login(session, clock, user.id, client, via="browser")
    ttl = timedelta(minutes=settings.access_token_minutes)
    signed_in = await service.open_session(session, clock, user, via="browser", ttl=ttl)
    access, _ = tokens.issue(
        str(user.id), "access", ttl, role=user.role.value, sid=str(signed_in.id)
    )
    csrf = csrf_token_for(app_csrf_key(request), access)
    max_age = int(ttl.total_seconds())
    # Secure except in dev/test over plain http (a local server has no TLS).
    secure = settings.env == "production" or request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        access,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, secure=secure, samesite="lax", path="/"
    )
    return SessionOut(user=UserOut.model_validate(user), csrf_token=csrf, expires_in=max_age)


def _cleared(request: Request, settings: Settings) -> Response:
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    secure = settings.env == "production" or request.url.scheme == "https"
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=http_only, samesite="lax")
    return response


@router.delete("/auth/session", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(
    request: Request,
    settings: SettingsDep,
    sessionmaker: SessionmakerDep,
    clock: ClockDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> Response:
    """Signs out: the session the request carries (the bearer token, else the cookie) is
    revoked, so its token is refused from now on by every process, and the browser's
    cookies are cleared. No CSRF value is asked: a DELETE cannot be sent cross-site with
    the SameSite=Lax cookie, and signing out harms no one. Always 204, signed in or not."""
    token = bearer or request.cookies.get(SESSION_COOKIE)
    sid = None
    if token:
        with contextlib.suppress(AssayError):
            _, sid = token_claims(token, request)
    if sid is not None:
        # Committed on its own before the cache forgets it: a check in between cannot
        # read the row from before and keep it.
        async with session_scope(sessionmaker) as session:
            await service.end_session(session, clock, sid)
        session_check(request.app).forget(sid)
    return _cleared(request, settings)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Text = Field(min_length=1, max_length=256)
    new_password: Text = Field(min_length=10, max_length=256)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(WrongPassword, InvalidRequest, SignInBusy),
)
async def change_password(
    body: PasswordChangeIn,
    request: Request,
    settings: SettingsDep,
    sessionmaker: SessionmakerDep,
    clock: ClockDep,
    user_id: CurrentUserId,
) -> Response:
    """A new password ends every session of the account, this one included (sign in
    again with it); the browser's cookies are cleared."""
    async with session_scope(sessionmaker) as session:
        user = await service.get_user(session, user_id)
        if user is None:
            raise SessionEnded()
        await service.change_password(
            session, clock, user, body.current_password, body.new_password
        )
    session_check(request.app).clear()
    return _cleared(request, settings)
