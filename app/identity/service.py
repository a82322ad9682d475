"""Accounts: who may sign in and as what."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import Clock
from app.core.db import end_read
from app.core.errors import InvalidCredentials
from app.core.security import (
    hash_password,
    hash_password_off_loop,
    password_needs_rehash,
    sign_in_place,
    verify_password,
    verify_password_off_loop,
)
from app.identity.exceptions import EmailTaken, WrongPassword
from app.identity.models import Role, Session, User
from app.identity.repository import SessionRepository, UserRepository


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
        password_hash=await hash_password_off_loop(password),
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
    """The user, or InvalidCredentials after the same work whether or not the email exists.

    Call it before the request writes anything: a sign-in storm is shed before any
    database work (``SignInBusy``), and the read's transaction ends before the password
    check, which may wait for a hashing thread, so a storm does not hold the connection
    pool (it did: 911 of 1,000 simultaneous sign-ins timed out on the pool)."""
    rehashed: str | None = None
    async with sign_in_place() as line:
        user = await UserRepository(session).get_by_email(email.strip())
        await end_read(session)
        matches = await line.hash_here(
            verify_password, password, user.password_hash if user else None
        )
        if matches and user is not None and password_needs_rehash(user.password_hash):
            # The cost setting changed: this password moves to it now that it is at
            # hand, in the same place in line (a verified sign-in is never turned away).
            rehashed = await line.hash_here(hash_password, password)
    if not matches or user is None:
        raise InvalidCredentials()
    if rehashed is not None:
        user.password_hash = rehashed
        await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await UserRepository(session).get(user_id)


async def users_by_id(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, User]:
    return {u.id: u for u in await UserRepository(session).by_ids(user_ids)}


async def user_ids_by_email(session: AsyncSession, emails: Sequence[str]) -> dict[str, uuid.UUID]:
    """Accounts by (lower-cased) email; emails without an account are left out."""
    return await UserRepository(session).ids_by_email([e.strip() for e in emails])


async def find_user(session: AsyncSession, email: str) -> User | None:
    return await UserRepository(session).get_by_email(email.strip())


async def open_session(
    session: AsyncSession, clock: Clock, user: User, *, via: str, ttl: timedelta
) -> Session:
    """A sign-in; its id goes into the access token (``sid``)."""
    now = clock.now()
    return await SessionRepository(session).add(
        Session(id=uuid.uuid4(), user_id=user.id, via=via, created_at=now, expires_at=now + ttl)
    )


async def end_session(session: AsyncSession, clock: Clock, sid: uuid.UUID) -> None:
    """Signing out: the session's token is refused from now on, everywhere."""
    await SessionRepository(session).revoke(sid, clock.now())


async def change_password(
    session: AsyncSession, clock: Clock, user: User, current: str, new: str
) -> None:
    """A new password ends every session of the account (a thief's too)."""
    if not await verify_password_off_loop(current, user.password_hash):
        raise WrongPassword()
    user.password_hash = await hash_password_off_loop(new)
    await SessionRepository(session).revoke_all(user.id, clock.now())
    await session.flush()
