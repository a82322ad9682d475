"""Who is calling. ``CurrentUserId`` checks the token only (no query: the hot paths scope
their own queries by it); ``CurrentUser`` also loads the account."""

from __future__ import annotations

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


async def current_user_id(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> uuid.UUID:
    if not token:
        raise NotAuthenticated()
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
