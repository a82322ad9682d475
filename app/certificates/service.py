"""Certificates: issued on a pass, valid from issue to expiry, looked up by anyone."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.exceptions import CertificateNotFound
from app.certificates.ids import display, new_certificate_id, normalise
from app.certificates.models import Certificate
from app.certificates.repository import CertificateRepository
from app.certificates.status import (
    CertificateStatus,
    StatusFacts,
    add_months,
    certificate_status,
    is_current,
)
from app.core.clock import Clock
from app.exams.models import ExamVersion


def display_id(public_id: str) -> str:
    return display(public_id)


def status_of(certificate: Certificate, today: date) -> CertificateStatus:
    return certificate_status(
        StatusFacts(certificate.expires_on, certificate.revoked_at, certificate.superseded_by),
        today,
    )


async def issue_certificate(
    session: AsyncSession,
    clock: Clock,
    *,
    user_id: uuid.UUID,
    holder_name: str,
    attempt_id: uuid.UUID,
    exam: ExamVersion,
    renews: str | None = None,
) -> Certificate:
    repo = CertificateRepository(session)
    existing = await repo.by_attempt(attempt_id)
    if existing is not None:
        return existing
    issued_on = clock.now().date()
    # 85 random bits: a collision is not expected in the life of the program, but if
    # one happens the unique index refuses it and we draw again.
    for _ in range(3):
        certificate = Certificate(
            id=uuid.uuid4(),
            public_id=new_certificate_id(),
            user_id=user_id,
            attempt_id=attempt_id,
            exam_code=renews or exam.code,
            track=exam.track,
            title=exam.title,
            level=exam.level,
            holder_name=holder_name,
            issued_on=issued_on,
            expires_on=add_months(issued_on, exam.validity_months),
            created_at=clock.now(),
        )
        try:
            async with session.begin_nested():
                await repo.add(certificate)
            return certificate
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a unique certificate ID")


async def current_exam_codes(session: AsyncSession, user_id: uuid.UUID, today: date) -> set[str]:
    """Exams the user holds a current certificate for (prerequisites, no double passing)."""
    return {
        c.exam_code
        for c in await CertificateRepository(session).for_user(user_id)
        if is_current(status_of(c, today))
    }


async def certificate_for_attempt(
    session: AsyncSession, attempt_id: uuid.UUID
) -> Certificate | None:
    return await CertificateRepository(session).by_attempt(attempt_id)


async def certificates_of(session: AsyncSession, user_id: uuid.UUID) -> Sequence[Certificate]:
    return await CertificateRepository(session).for_user(user_id)


@dataclass(frozen=True)
class Verification:
    certificate: Certificate
    status: CertificateStatus


async def verify(session: AsyncSession, clock: Clock, raw_id: str) -> Verification:
    public_id = normalise(raw_id)
    certificate = (
        await CertificateRepository(session).by_public_id(public_id) if public_id else None
    )
    if certificate is None:
        raise CertificateNotFound()
    return Verification(certificate, status_of(certificate, clock.now().date()))
