from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from app.core.deps import ClockDep, SessionDep, SettingsDep, TokensDep, UnitOfWorkRoute
from app.core.errors import InvalidCredentials, InvalidRequest, responses
from app.identity import service
from app.identity.dependencies import CurrentUser
from app.identity.exceptions import EmailTaken
from app.identity.schemas import RegisterIn, TokenOut, UserOut

router = APIRouter(prefix="/api/v1", tags=["identity"], route_class=UnitOfWorkRoute)


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=responses(EmailTaken, InvalidRequest),
)
async def register(body: RegisterIn, session: SessionDep, clock: ClockDep) -> UserOut:
    user = await service.create_user(
        session, clock, email=body.email, password=body.password, full_name=body.full_name
    )
    return UserOut.model_validate(user)


@router.post("/auth/token", response_model=TokenOut, responses=responses(InvalidCredentials))
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    tokens: TokensDep,
    settings: SettingsDep,
) -> TokenOut:
    user = await service.authenticate(session, form.username, form.password)
    ttl = timedelta(minutes=settings.access_token_minutes)
    access, _ = tokens.issue(str(user.id), "access", ttl, role=user.role.value)
    return TokenOut(access_token=access, expires_in=int(ttl.total_seconds()))


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)
