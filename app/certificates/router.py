from __future__ import annotations

from fastapi import APIRouter

from app.certificates import service
from app.certificates.exceptions import CertificateNotFound
from app.certificates.schemas import CertificateOut, VerificationOut
from app.core.deps import ClockDep, SessionDep, UnitOfWorkRoute
from app.core.errors import responses
from app.identity.dependencies import CurrentUserId

router = APIRouter(prefix="/api/v1", tags=["certificates"], route_class=UnitOfWorkRoute)


@router.get("/certificates", response_model=list[CertificateOut])
async def my_certificates(
    session: SessionDep, clock: ClockDep, user_id: CurrentUserId
) -> list[CertificateOut]:
    today = clock.now().date()
    return [
        CertificateOut(
            certificate_id=service.display_id(c.public_id),
            status=service.status_of(c, today).value,
            exam_code=c.exam_code,
            title=c.title,
            level=c.level,
            holder_name=c.holder_name,
            issued_on=c.issued_on,
            expires_on=c.expires_on,
        )
        for c in await service.certificates_of(session, user_id)
    ]


@router.get(
    "/verify/{certificate_id}",
    response_model=VerificationOut,
    responses=responses(CertificateNotFound),
)
async def verify(certificate_id: str, session: SessionDep, clock: ClockDep) -> VerificationOut:
    found = await service.verify(session, clock, certificate_id)
    c = found.certificate
    return VerificationOut(
        certificate_id=service.display_id(c.public_id),
        status=found.status.value,
        holder_name=c.holder_name,
        exam_code=c.exam_code,
        title=c.title,
        level=c.level,
        issued_on=c.issued_on,
        expires_on=c.expires_on,
        superseded_by=service.display_id(c.superseded_by) if c.superseded_by else None,
        revocation_reason=c.revocation_reason,
    )
