from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.models import Certificate


class CertificateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_public_id(self, public_id: str) -> Certificate | None:
        result = await self.session.execute(
            select(Certificate).where(Certificate.public_id == public_id)
        )
        return result.scalar_one_or_none()

    async def by_attempt(self, attempt_id: uuid.UUID) -> Certificate | None:
        result = await self.session.execute(
            select(Certificate).where(Certificate.attempt_id == attempt_id)
        )
        return result.scalar_one_or_none()

    async def for_user(self, user_id: uuid.UUID) -> Sequence[Certificate]:
        result = await self.session.execute(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.issued_on.desc())
        )
        return result.scalars().all()

    async def add(self, certificate: Certificate) -> None:
        self.session.add(certificate)
        await self.session.flush()
