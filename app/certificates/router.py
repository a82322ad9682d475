from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.attempts.dependencies import Starter
from app.attempts.schemas import AdmissionWaitOut, AttemptStartedOut, attempt_started_out
from app.certificates import flows, service
from app.certificates.badges import LEVELS as BADGE_LEVELS
from app.certificates.badges import badge_svg
from app.certificates.dependencies import (
    CertificatesStateDep,
    certificates_state,
    client_key,
    lookup_of,
    verify_for_client,
)
from app.certificates.exceptions import (
    AlreadyRevoked,
    BatchTooLarge,
    CertificateNotFound,
    InvalidEmployerKey,
    RenewalWindowClosed,
)
from app.certificates.lookup import CertificateRecord
from app.certificates.models import Certificate
from app.certificates.schemas import (
    BatchIn,
    BatchOut,
    BatchResultOut,
    CertificateOut,
    RevocationIn,
    VerificationOut,
    VerifyIn,
)
from app.certificates.service import Verification
from app.certificates.status import renewal_window_opens
from app.certificates.statuslist import STATUS_LIST_ID
from app.core.deps import ClockDep, SessionDep, SettingsDep, UnitOfWorkRoute
from app.core.errors import NotFound, RateLimited, responses
from app.core.text import Text
from app.grading.dependencies import scenario_registry
from app.identity.dependencies import CurrentUserId, require_role
from app.identity.models import Role, User
from app.proctoring import service as proctoring_service
from app.proctoring.audit import Actor

router = APIRouter(prefix="/api/v1", tags=["certificates"], route_class=UnitOfWorkRoute)
# The public read paths run without a unit of work: they never write, and each avoided
# dependency is measurable at thousands of lookups a second.
public_router = APIRouter(tags=["verification"])

CREDENTIAL_MEDIA_TYPE = "application/vc+jwt"
JWK_MEDIA_TYPE = "application/jwk+json"
SVG_MEDIA_TYPE = "image/svg+xml"
_employer_scheme = HTTPBearer(auto_error=False)


def _certificate_out(
    c: Certificate, state: CertificatesStateDep, today_status: str
) -> CertificateOut:
    shown = service.display_id(c.public_id)
    return CertificateOut(
        certificate_id=shown,
        status=today_status,
        exam_code=c.exam_code,
        title=c.title,
        level=c.level,
        holder_name=c.holder_name,
        issued_on=c.issued_on,
        expires_on=c.expires_on,
        renewal_window_opens=renewal_window_opens(c.expires_on),
        superseded_by=service.display_id(c.superseded_by) if c.superseded_by else None,
        renewal_of=service.display_id(c.renewal_of) if c.renewal_of else None,
        revocation_reason=c.revocation_reason,
        verify_url=state.issuer.verify_url(shown),
        credential_url=f"{state.issuer.base_url}/api/v1/certificates/{shown}/credential",
        linkedin_url=service.linkedin_url(c, state.issuer, state.linkedin_organization_id),
    )


def verification_out(v: Verification) -> VerificationOut:
    c = v.certificate
    return VerificationOut(
        certificate_id=v.certificate_id,
        record="full" if v.full else "minimal",
        status=v.status.value,
        holder_name=v.holder_name,
        exam_code=c.exam_code,
        title=c.title,
        level=c.level,
        issued_on=c.issued_on,
        expires_on=c.expires_on,
        superseded_by=v.superseded_by,
        renewal_of=v.renewal_of,
        revocation_reason=v.revocation_reason,
    )


@router.get("/certificates", response_model=list[CertificateOut])
async def my_certificates(
    session: SessionDep, clock: ClockDep, user_id: CurrentUserId, state: CertificatesStateDep
) -> list[CertificateOut]:
    today = clock.now().date()
    return [
        _certificate_out(c, state, service.status_of(c, today).value)
        for c in await service.certificates_of(session, user_id)
    ]


@router.get(
    "/certificates/{certificate_id}/credential",
    response_class=Response,
    responses={
        200: {"content": {CREDENTIAL_MEDIA_TYPE: {}}, "description": "A compact JWS"},
        **responses(CertificateNotFound),
    },
)
async def credential(
    certificate_id: Text, session: SessionDep, user_id: CurrentUserId, state: CertificatesStateDep
) -> Response:
    """The holder's certificate as an Open Badges 3.0 credential (VC-JWT, signed ES256 or
    RS256); its header carries the public key and the URL that answers it."""
    signed = await service.credential_of(session, state.keys, state.issuer, user_id, certificate_id)
    shown = service.display_id(signed.public_id)
    return Response(
        signed.token,
        media_type=CREDENTIAL_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="assay-{shown}.jwt"'},
    )


@router.get(
    "/certificates/{certificate_id}/badge.svg",
    response_class=Response,
    responses={
        200: {"content": {SVG_MEDIA_TYPE: {}}, "description": "The badge, baked"},
        **responses(CertificateNotFound),
    },
)
async def baked_badge(
    certificate_id: Text, session: SessionDep, user_id: CurrentUserId, state: CertificatesStateDep
) -> Response:
    """The holder's badge image with the signed credential baked in (Open Badges 3.0
    baking): one file for wallets and profiles that take images."""
    signed = await service.credential_of(session, state.keys, state.issuer, user_id, certificate_id)
    shown = service.display_id(signed.public_id)
    return Response(
        badge_svg(signed.level, signed.title, credential_jws=signed.token),
        media_type=SVG_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="assay-{shown}.svg"'},
    )


@router.post(
    "/certificates/{certificate_id}/renewal",
    status_code=status.HTTP_201_CREATED,
    response_model=AttemptStartedOut,
    responses={
        200: {"description": "The renewal attempt already in progress, resumed"},
        202: {
            "description": "Waiting for admission: nothing started yet, ask again after "
            "`Retry-After` seconds",
            "model": AdmissionWaitOut,
        },
        **responses(CertificateNotFound, RenewalWindowClosed),
    },
)
async def start_renewal(
    certificate_id: Text,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    starter: Starter,
) -> JSONResponse:
    """A start like any other: admitted first (202 with the place in line when the
    service is over its start capacity), the caller's overdue attempts closed."""
    started = await flows.start_renewal(
        session,
        clock,
        starter.user_id,
        certificate_id,
        grace=timedelta(seconds=settings.deadline_grace_seconds),
        scenarios=scenario_registry(request),
        exposure=request.app.state.exposure,
        seed=request.app.state.seeds.next_seed(),
        balancer=request.app.state.balancer,
    )
    body = attempt_started_out(started, clock.now())
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if started.created else status.HTTP_200_OK,
    )


@router.post(
    "/certificates/{certificate_id}/revocation",
    response_model=VerificationOut,
    responses=responses(CertificateNotFound, AlreadyRevoked),
)
async def revoke(
    certificate_id: Text,
    body: RevocationIn,
    session: SessionDep,
    clock: ClockDep,
    state: CertificatesStateDep,
    user: Annotated[User, Depends(require_role(Role.admin, Role.proctor))],
) -> VerificationOut:
    """Proctors and admins: revoke with a reason (misconduct found on review, regrading).
    Recorded in the audit trail."""
    c = await service.revoke(session, clock, certificate_id, body.reason, lookup=state.lookup)
    await proctoring_service.record_revocation(
        session,
        clock,
        Actor(user.id, user.email),
        certificate_id=service.display_id(c.public_id),
        reason=body.reason,
        attempt_id=c.source_attempt_id or c.attempt_id,
    )
    return verification_out(
        Verification(CertificateRecord.of(c), service.status_of(c, clock.now().date()), True)
    )


@router.post(
    "/verify/batch",
    response_model=BatchOut,
    responses=responses(InvalidEmployerKey, BatchTooLarge, RateLimited),
)
async def verify_batch(
    body: BatchIn,
    session: SessionDep,
    clock: ClockDep,
    state: CertificatesStateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_employer_scheme)],
) -> BatchOut:
    """Employers: up to 500 (ID, last name) pairs per request, with an API key from
    ``assay employers create``. An unknown ID and a wrong name both answer found=false."""
    if credentials is None:
        raise InvalidEmployerKey()
    employer = await service.employer_for_key(session, credentials.credentials)
    if len(body.certificates) > state.batch_max:
        raise BatchTooLarge(
            f"At most {state.batch_max} certificates per request.", limit=state.batch_max
        )
    await state.employer_ids.take(str(employer.id), cost=max(1, len(body.certificates)))
    found = await service.verify_batch(
        lookup_of(state), clock, [(q.certificate_id, q.last_name) for q in body.certificates]
    )
    return BatchOut(
        results=[
            BatchResultOut(
                certificate_id=q.certificate_id,
                found=v is not None,
                certificate=verification_out(v) if v is not None else None,
            )
            for q, v in zip(body.certificates, found, strict=True)
        ]
    )


_RENDERED_MAX = 100_000


async def _verify_public(request: Request, raw_id: str, last_name: str | None) -> Response:
    """The hot public path. It reads the app's state directly (each dependency is
    solved per request) and answers with JSON rendered once per cached record, record
    kind and status: building and validating the model per request was a measurable
    share of a lookup answered from the cache. A new record object (the cache read the
    row again) is rendered anew."""
    state = certificates_state(request.app)
    found = await verify_for_client(state, state.clock, client_key(request), raw_id, last_name)
    key = (found.certificate.public_id, found.full, found.status.value)
    hit = state.rendered.get(key)
    if hit is not None and hit[0] is found.certificate:
        body = hit[1]
    else:
        body = verification_out(found).model_dump_json().encode()
        if len(state.rendered) >= _RENDERED_MAX:
            state.rendered.clear()
        state.rendered[key] = (found.certificate, body)
    return Response(body, media_type="application/json")


@public_router.api_route(
    "/api/v1/verify/batch", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
async def verify_batch_other_methods() -> None:
    """``/verify/batch`` is the employers' POST (router below); any other method is a 405
    here, before ``GET /verify/{certificate_id}`` would look up a certificate "batch"."""
    raise StarletteHTTPException(status.HTTP_405_METHOD_NOT_ALLOWED, headers={"Allow": "POST"})


@public_router.get(
    "/api/v1/verify/{certificate_id}",
    response_model=VerificationOut,
    responses=responses(CertificateNotFound, RateLimited),
)
async def verify(certificate_id: Text, request: Request, last_name: Text | None = None) -> Response:
    """Public. The ID alone gives the minimal record; with ``last_name`` (the holder's)
    the full one. Unknown IDs and wrong names answer the same 404."""
    return await _verify_public(request, certificate_id, last_name[:200] if last_name else None)


@public_router.post(
    "/api/v1/verify",
    response_model=VerificationOut,
    responses=responses(CertificateNotFound, RateLimited),
)
async def verify_with_name(body: VerifyIn, request: Request) -> Response:
    """The full record, with the last name in the body rather than in the URL (URLs
    end up in logs and histories)."""
    return await _verify_public(request, body.certificate_id, body.last_name)


@public_router.get(
    "/api/v1/status-lists/{list_id}",
    response_class=Response,
    responses={200: {"content": {CREDENTIAL_MEDIA_TYPE: {}}}, **responses(NotFound)},
)
async def status_list(
    list_id: Text, session: SessionDep, state: CertificatesStateDep, clock: ClockDep
) -> Response:
    """The revocation list (a Bitstring Status List credential, signed like credentials)."""
    if list_id != STATUS_LIST_ID:
        raise NotFound("There is no status list with this ID.")
    token = await service.status_list(session, clock, state.keys, state.issuer)
    return Response(token, media_type=CREDENTIAL_MEDIA_TYPE, headers={"Cache-Control": "no-cache"})


@public_router.get("/.well-known/jwks.json")
async def jwks(state: CertificatesStateDep) -> JSONResponse:
    """The issuer's public keys (every key ever used to sign, newest last)."""
    return JSONResponse(state.keys.jwks(), headers={"Cache-Control": "public, max-age=300"})


@public_router.get(
    "/keys/{thumbprint}",
    response_class=JSONResponse,
    responses={200: {"content": {JWK_MEDIA_TYPE: {}}}, **responses(NotFound)},
)
async def public_key(thumbprint: Text, state: CertificatesStateDep) -> JSONResponse:
    """One public key, at the URL a credential's ``kid`` names (a JWK)."""
    jwk = state.keys.public_key(thumbprint)
    if jwk is None:
        raise NotFound("There is no key with this ID.")
    return JSONResponse(
        jwk, media_type=JWK_MEDIA_TYPE, headers={"Cache-Control": "public, max-age=86400"}
    )


@public_router.get("/.well-known/jwt-vc-issuer")
@public_router.get("/.well-known/jwt-vc-issuer/issuer", include_in_schema=False)
async def jwt_vc_issuer(state: CertificatesStateDep) -> JSONResponse:
    """Issuer metadata for JWT-secured credentials: the ``iss`` of every credential and the
    keys that sign them."""
    return JSONResponse(
        {"issuer": state.issuer.id, "jwks": state.keys.jwks()},
        headers={"Cache-Control": "public, max-age=300"},
    )


@public_router.get(
    "/badges/{level}.svg",
    response_class=Response,
    responses={200: {"content": {SVG_MEDIA_TYPE: {}}}, **responses(NotFound)},
)
async def badge_image(level: Text) -> Response:
    """A level's badge image, the ``image`` of its achievements."""
    if level not in BADGE_LEVELS:
        raise NotFound("There is no badge for this level.")
    return Response(
        badge_svg(level, f"Assay MLOps {level.title()} badge"),
        media_type=SVG_MEDIA_TYPE,
        headers={"Cache-Control": "public, max-age=86400"},
    )
