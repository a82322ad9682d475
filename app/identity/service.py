"""Accounts: who may sign in and as what."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import Clock
from app.core.errors import InvalidCredentials
from app.core.security import hash_password, verify_password
from app.identity.exceptions import EmailTaken
from app.identity.models import Role, User
from app.identity.repository import UserRepository


async def create_user(
    session: AsyncSession,
    clock: Clock,
    *,
    email: str,
    password: str,
    full_name: str,
    role: Role = Role.candidate,
) -> User:
    repo = UserRepository(session)
    email = email.strip().lower()
    if await repo.get_by_email(email) is not None:
        raise EmailTaken()
    user = User(
        id=uuid.uuid4(),
        email=email,
        full_name=" ".join(full_name.split()),
        password_hash=hash_password(password),
        role=role,
        created_at=clock.now(),
    )
    try:
        # Two registrations racing for one email: the unique index decides.
        async with session.begin_nested():
            return await repo.add(user)
    except IntegrityError as exc:
        raise EmailTaken() from exc


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    """The user, or InvalidCredentials after the same work whether or not the email exists."""
    user = await UserRepository(session).get_by_email(email.strip())
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise InvalidCredentials()
    return user


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await UserRepository(session).get(user_id)


async def users_by_id(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, User]:
    return {u.id: u for u in await UserRepository(session).by_ids(user_ids)}


async def find_user(session: AsyncSession, email: str) -> User | None:
    return await UserRepository(session).get_by_email(email.strip())
