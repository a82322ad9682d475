from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.models import Session, User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def by_ids(self, user_ids: Sequence[uuid.UUID]) -> Sequence[User]:
        if not user_ids:
            return []
        result = await self.session.execute(select(User).where(User.id.in_(user_ids)))
        return result.scalars().all()

    async def get_by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email == email.lower()))
        return result.scalar_one_or_none()

    async def ids_by_email(self, emails: Sequence[str]) -> dict[str, uuid.UUID]:
        wanted = sorted({e.lower() for e in emails})
        found: dict[str, uuid.UUID] = {}
        for start in range(0, len(wanted), 1000):  # bounded IN lists
            result = await self.session.execute(
                select(User.email, User.id).where(User.email.in_(wanted[start : start + 1000]))
            )
            found.update({email: user_id for email, user_id in result.all()})
        return found

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Session) -> Session:
        self.session.add(row)
        await self.session.flush()
        return row

    async def revoke(self, sid: uuid.UUID, at: datetime) -> None:
        await self.session.execute(
            update(Session)
            .where(Session.id == sid, Session.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def revoke_all(self, user_id: uuid.UUID, at: datetime) -> None:
        await self.session.execute(
            update(Session)
            .where(Session.user_id == user_id, Session.revoked_at.is_(None))
            .values(revoked_at=at)
        )
