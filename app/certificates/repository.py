from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.models import Certificate, EmployerKey, OutboxMessage


class CertificateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_public_id(self, public_id: str, *, for_update: bool = False) -> Certificate | None:
        query = select(Certificate).where(Certificate.public_id == public_id)
        if for_update:
            query = query.with_for_update()
        result = await self.session.execute(query)
        return result.scalar_one_or_none()

    async def by_attempt(self, attempt_id: uuid.UUID) -> Certificate | None:
        result = await self.session.execute(
            select(Certificate).where(Certificate.attempt_id == attempt_id)
        )
        return result.scalar_one_or_none()

    async def from_attempt(
        self, attempt_id: uuid.UUID, *, for_update: bool = False
    ) -> Sequence[Certificate]:
        query = select(Certificate).where(
            or_(Certificate.source_attempt_id == attempt_id, Certificate.attempt_id == attempt_id)
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query.order_by(Certificate.created_at))).scalars().all()

    async def for_user(self, user_id: uuid.UUID) -> Sequence[Certificate]:
        result = await self.session.execute(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.issued_on.desc(), Certificate.created_at.desc())
        )
        return result.scalars().all()

    async def live_for_exam(self, user_id: uuid.UUID, exam_code: str) -> Sequence[Certificate]:
        """Neither revoked nor superseded, newest expiry first, locked: two renewals at
        once must not both supersede the same certificate."""
        result = await self.session.execute(
            select(Certificate)
            .where(
                Certificate.user_id == user_id,
                Certificate.exam_code == exam_code,
                Certificate.revoked_at.is_(None),
                Certificate.superseded_by.is_(None),
            )
            .order_by(Certificate.expires_on.desc())
            .with_for_update()
        )
        return result.scalars().all()

    async def revoked_indices(self) -> Sequence[int]:
        result = await self.session.execute(
            select(Certificate.status_index).where(Certificate.revoked_at.is_not(None))
        )
        return result.scalars().all()

    async def expiring_between(self, first: date, last: date) -> Sequence[Certificate]:
        result = await self.session.execute(
            select(Certificate).where(
                Certificate.expires_on >= first,
                Certificate.expires_on <= last,
                Certificate.revoked_at.is_(None),
                Certificate.superseded_by.is_(None),
            )
        )
        return result.scalars().all()

    async def add(self, certificate: Certificate) -> None:
        self.session.add(certificate)
        await self.session.flush()


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def kinds_for(self, certificate_ids: Sequence[uuid.UUID]) -> set[tuple[uuid.UUID, str]]:
        if not certificate_ids:
            return set()
        result = await self.session.execute(
            select(OutboxMessage.certificate_id, OutboxMessage.kind).where(
                OutboxMessage.certificate_id.in_(certificate_ids)
            )
        )
        # Every row found names one of certificate_ids (never None).
        return {(row[0], row[1]) for row in result if row[0] is not None}

    async def unsent(self, limit: int, max_failures: int) -> Sequence[OutboxMessage]:
        # SKIP LOCKED (PostgreSQL; ignored by SQLite, which has one writer anyway): two
        # workers never take the same message.
        result = await self.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failures < max_failures)
            .order_by(OutboxMessage.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return result.scalars().all()

    def add(self, message: OutboxMessage) -> None:
        self.session.add(message)


class EmployerKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_prefix(self, prefix: str) -> EmployerKey | None:
        result = await self.session.execute(select(EmployerKey).where(EmployerKey.prefix == prefix))
        return result.scalar_one_or_none()

    async def add(self, key: EmployerKey) -> None:
        self.session.add(key)
        await self.session.flush()
