"""Certificates: issued on a pass, valid from issue to expiry, renewed in their last six
months (or by passing a higher level that requires them), revoked with a reason, looked
up by anyone and published as signed Open Badges 3.0 credentials."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.certificates.achievement import ExamFacts, achievement
from app.certificates.credential import Issuer, build_credential, identity_hash, jwt_claims
from app.certificates.exceptions import (
    AlreadyRevoked,
    CertificateNotFound,
    InvalidEmployerKey,
    RenewalWindowClosed,
)
from app.certificates.ids import display, new_certificate_id, normalise
from app.certificates.lookup import CertificateLookup, CertificateRecord
from app.certificates.models import Certificate, EmployerKey
from app.certificates.repository import CertificateRepository, EmployerKeyRepository
from app.certificates.status import (
    CertificateStatus,
    StatusFacts,
    add_months,
    certificate_status,
    is_current,
    renewal_window_opens,
)
from app.certificates.statuslist import STATUS_LIST_SIZE, status_list_credential
from app.core.clock import Clock
from app.core.security import CredentialKeys
from app.exams import service as exams_service
from app.exams.exceptions import ExamNotFound
from app.exams.models import ExamVersion


def display_id(public_id: str) -> str:
    return display(public_id)


def status_of(certificate: Certificate | CertificateRecord, today: date) -> CertificateStatus:
    return certificate_status(
        StatusFacts(certificate.expires_on, certificate.revoked_at, certificate.superseded_by),
        today,
    )


# --- Issue and renew -------------------------------------------------------------


async def issue_certificate(
    session: AsyncSession,
    clock: Clock,
    *,
    user_id: uuid.UUID,
    holder_name: str,
    holder_email: str,
    attempt_id: uuid.UUID,
    exam: ExamVersion,
    renews: str | None = None,
) -> Certificate:
    """The certificate an attempt earned (idempotent per attempt).

    A renewal exam (``renews`` set) supersedes the holder's certificate for that exam and
    runs from its expiry date, so renewing early costs nothing. Any pass also renews the
    lower levels the exam requires, where those are in their renewal window."""
    repo = CertificateRepository(session)
    existing = await repo.by_attempt(attempt_id)
    if existing is not None:
        return existing
    code = renews or exam.code
    certified = await exams_service.get_exam(session, renews) if renews else exam
    renewed = await _renewable(session, user_id, code, clock.now().date()) if renews else None
    certificate = await _new_certificate(
        session,
        clock,
        user_id=user_id,
        holder_name=holder_name,
        holder_email=holder_email,
        attempt_id=attempt_id,
        exam=certified,
        previous=renewed,
        source_attempt_id=attempt_id,
    )
    for lower in await _required_codes(session, certified):
        old = await _renewable(session, user_id, lower, clock.now().date())
        if old is not None:
            await _new_certificate(
                session,
                clock,
                user_id=user_id,
                holder_name=holder_name,
                holder_email=holder_email,
                attempt_id=None,
                exam=await exams_service.get_exam(session, lower),
                previous=old,
                source_attempt_id=attempt_id,
            )
    return certificate


async def _new_certificate(
    session: AsyncSession,
    clock: Clock,
    *,
    user_id: uuid.UUID,
    holder_name: str,
    holder_email: str,
    attempt_id: uuid.UUID | None,
    exam: ExamVersion,
    previous: Certificate | None,
    source_attempt_id: uuid.UUID | None,
) -> Certificate:
    repo = CertificateRepository(session)
    issued_on = clock.now().date()
    runs_from = previous.expires_on if previous is not None else issued_on
    salt = secrets.token_hex(16)
    # 85 random bits and one of 131,072 status bits: the unique indexes refuse a
    # collision and we draw again (status bits collide as the list fills; the list is
    # sized well beyond the program's volume).
    for _ in range(16):
        certificate = Certificate(
            id=uuid.uuid4(),
            public_id=new_certificate_id(),
            user_id=user_id,
            attempt_id=attempt_id,
            source_attempt_id=source_attempt_id,
            exam_code=exam.code,
            track=exam.track,
            title=exam.title,
            level=exam.level,
            holder_name=holder_name,
            holder_salt=salt,
            holder_identity_hash=identity_hash(holder_email, salt),
            issued_on=issued_on,
            expires_on=add_months(runs_from, exam.validity_months),
            renewal_of=previous.public_id if previous is not None else None,
            status_index=secrets.randbelow(STATUS_LIST_SIZE),
            created_at=clock.now(),
        )
        try:
            async with session.begin_nested():
                await repo.add(certificate)
        except IntegrityError:
            continue
        if previous is not None:
            previous.superseded_by = certificate.public_id
            await session.flush()
        return certificate
    raise RuntimeError("could not draw a unique certificate ID and status index")


async def _renewable(
    session: AsyncSession, user_id: uuid.UUID, exam_code: str, today: date
) -> Certificate | None:
    """The holder's certificate for this exam that is in its renewal window today."""
    for certificate in await CertificateRepository(session).live_for_exam(user_id, exam_code):
        if status_of(certificate, today) == CertificateStatus.expiring:
            return certificate
    return None


async def _required_codes(session: AsyncSession, exam: ExamVersion) -> list[str]:
    """Every exam this one requires, directly or through its prerequisites."""
    seen: list[str] = []
    queue = list(exams_service.blueprint_of(exam).prerequisites)
    while queue:
        code = queue.pop(0)
        if code in seen:
            continue
        seen.append(code)
        try:
            queue += exams_service.blueprint_of(
                await exams_service.get_exam(session, code)
            ).prerequisites
        except ExamNotFound:
            continue
    return seen


async def check_renewal_open(
    session: AsyncSession, user_id: uuid.UUID, exam_code: str, today: date
) -> Certificate:
    """For starting a renewal exam: the certificate it would renew, or a refusal."""
    certificate = await _renewable(session, user_id, exam_code, today)
    if certificate is None:
        raise RenewalWindowClosed()
    return certificate


async def renewal_target(
    session: AsyncSession, clock: Clock, user_id: uuid.UUID, raw_id: str
) -> Certificate:
    """The caller's own certificate, in its renewal window (someone else's is unknown)."""
    public_id = normalise(raw_id)
    certificate = (
        await CertificateRepository(session).by_public_id(public_id) if public_id else None
    )
    if certificate is None or certificate.user_id != user_id:
        raise CertificateNotFound()
    if status_of(certificate, clock.now().date()) != CertificateStatus.expiring:
        opens = renewal_window_opens(certificate.expires_on)
        raise RenewalWindowClosed(
            f"Renewal of this certificate is open from {opens.isoformat()} to "
            f"{certificate.expires_on.isoformat()}, unless it was revoked or renewed.",
            window_opens=opens.isoformat(),
            expires_on=certificate.expires_on.isoformat(),
        )
    return certificate


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


# --- Revoke ----------------------------------------------------------------------


async def revoke(
    session: AsyncSession,
    clock: Clock,
    raw_id: str,
    reason: str,
    *,
    lookup: CertificateLookup | None = None,
) -> Certificate:
    """Revokes with a reason. Verification and the status list show it from the commit:
    both read the row, and this process's lookup cache forgets it now and again after
    the commit (a lookup in between could have cached the old row)."""
    public_id = normalise(raw_id)
    repo = CertificateRepository(session)
    certificate = await repo.by_public_id(public_id, for_update=True) if public_id else None
    if certificate is None:
        raise CertificateNotFound()
    if certificate.revoked_at is not None:
        raise AlreadyRevoked()
    certificate.revoked_at = clock.now()
    certificate.revocation_reason = reason
    await session.flush()
    if lookup is not None:
        lookup.forget(certificate.public_id)
        forget_after_commit(session, lookup, certificate.public_id)
    return certificate


async def revoke_from_attempt(
    session: AsyncSession,
    clock: Clock,
    attempt_id: uuid.UUID,
    reason: str,
    *,
    lookup: CertificateLookup | None = None,
) -> list[Certificate]:
    """Revokes every certificate an attempt produced (its own, and the lower levels its
    pass renewed) when the attempt is invalidated. A renewal made void gives the
    certificate it had replaced its standing back. Already revoked ones are left."""
    repo = CertificateRepository(session)
    revoked = []
    for certificate in await repo.from_attempt(attempt_id, for_update=True):
        if certificate.revoked_at is not None:
            continue
        certificate.revoked_at = clock.now()
        certificate.revocation_reason = reason
        revoked.append(certificate)
        changed = [certificate.public_id]
        previous = (
            await repo.by_public_id(certificate.renewal_of, for_update=True)
            if certificate.renewal_of
            else None
        )
        if previous is not None and previous.superseded_by == certificate.public_id:
            previous.superseded_by = None
            changed.append(previous.public_id)
        if lookup is not None:
            for public_id in changed:
                lookup.forget(public_id)
                forget_after_commit(session, lookup, public_id)
    await session.flush()
    return revoked


def forget_after_commit(session: AsyncSession, lookup: CertificateLookup, public_id: str) -> None:
    def _forget(_: Session) -> None:
        lookup.forget(public_id)

    event.listen(session.sync_session, "after_commit", _forget, once=True)


# --- Verify ----------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What a verifier may be told. ``full`` when the holder's last name was given and
    matched: only then do the holder's name and a revocation's reason show."""

    certificate: CertificateRecord
    status: CertificateStatus
    full: bool

    @property
    def certificate_id(self) -> str:
        return display(self.certificate.public_id)

    @property
    def superseded_by(self) -> str | None:
        return display(self.certificate.superseded_by) if self.certificate.superseded_by else None

    @property
    def renewal_of(self) -> str | None:
        return display(self.certificate.renewal_of) if self.certificate.renewal_of else None

    @property
    def holder_name(self) -> str | None:
        return self.certificate.holder_name if self.full else None

    @property
    def revocation_reason(self) -> str | None:
        return self.certificate.revocation_reason if self.full else None

    @property
    def renewal_window_opens(self) -> date:
        return renewal_window_opens(self.certificate.expires_on)


def _fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").replace("'", "").replace("’", "").split())


def last_name_matches(holder_name: str, last_name: str) -> bool:
    """Case, accents, hyphens and spacing aside, the given name is the holder's last
    word or words ("Hopper", "de la Cruz"), or the whole name."""
    holder, wanted = _fold(holder_name), _fold(last_name)
    return bool(wanted) and (holder == wanted or holder.endswith(" " + wanted))


def _verification(
    record: CertificateRecord | None, today: date, last_name: str | None
) -> Verification:
    if record is None:
        raise CertificateNotFound()
    full = False
    if last_name is not None:
        if not last_name_matches(record.holder_name, last_name):
            # A wrong name answers exactly as an unknown ID: the ID alone confirms no name.
            raise CertificateNotFound()
        full = True
    return Verification(record, status_of(record, today), full)


async def verify(
    session: AsyncSession, clock: Clock, raw_id: str, last_name: str | None = None
) -> Verification:
    """Looks a typed ID up. Without ``last_name`` the minimal record; with it, the full
    record if it matches the holder, and CertificateNotFound (as for an unknown ID) if
    not."""
    public_id = normalise(raw_id)
    certificate = (
        await CertificateRepository(session).by_public_id(public_id) if public_id else None
    )
    record = CertificateRecord.of(certificate) if certificate is not None else None
    return _verification(record, clock.now().date(), last_name)


async def verify_public(
    lookup: CertificateLookup, clock: Clock, raw_id: str, last_name: str | None = None
) -> Verification:
    """The same as :func:`verify`, on the cached read path of the public routes."""
    public_id = normalise(raw_id)
    record = await lookup.find(public_id) if public_id else None
    return _verification(record, clock.now().date(), last_name)


async def verify_batch(
    lookup: CertificateLookup, clock: Clock, wanted: Sequence[tuple[str, str]]
) -> list[Verification | None]:
    """(ID, last name) pairs in, a full verification or None (unknown ID or wrong name,
    not told apart) for each, in order."""
    normalised = [normalise(raw) for raw, _ in wanted]
    found = await lookup.find_many([p for p in normalised if p])
    today = clock.now().date()
    out: list[Verification | None] = []
    for public_id, (_, last_name) in zip(normalised, wanted, strict=True):
        try:
            out.append(_verification(found.get(public_id or ""), today, last_name))
        except CertificateNotFound:
            out.append(None)
    return out


# --- Credentials -----------------------------------------------------------------


@dataclass(frozen=True)
class SignedCredential:
    token: str  # compact JWS
    public_id: str
    title: str
    level: str


async def credential_of(
    session: AsyncSession,
    keys: CredentialKeys,
    issuer: Issuer,
    user_id: uuid.UUID,
    raw_id: str,
) -> SignedCredential:
    """The holder's certificate as a signed OB 3.0 credential (compact JWS). Signed on
    each download with the current key; the claims are the same every time."""
    public_id = normalise(raw_id)
    certificate = (
        await CertificateRepository(session).by_public_id(public_id) if public_id else None
    )
    if certificate is None or certificate.user_id != user_id:
        raise CertificateNotFound()
    facts = await exam_facts(session, certificate.exam_code)
    credential = build_credential(
        certificate, issuer, display(certificate.public_id), achievement(facts, issuer)
    )
    return SignedCredential(
        keys.sign(jwt_claims(credential)),
        certificate.public_id,
        certificate.title,
        certificate.level,
    )


async def exam_facts(session: AsyncSession, exam_code: str) -> ExamFacts:
    """What the achievement of ``exam_code`` states, from the exam's current version
    (ExamNotFound for a code that is no exam)."""
    exam = await exams_service.get_exam(session, exam_code)
    blueprint = exams_service.blueprint_of(exam)
    prerequisites = [
        (await exams_service.get_exam(session, code)).title for code in blueprint.prerequisites
    ]
    return ExamFacts(
        code=exam.code,
        title=exam.title,
        level=blueprint.level,
        track=blueprint.track,
        duration_minutes=blueprint.duration_minutes,
        pass_mark=blueprint.pass_mark,
        validity_months=blueprint.validity_months,
        mcq_items=sum(s.item_count for s in blueprint.sections if s.kind == "mcq"),
        scenarios=sum(s.item_count for s in blueprint.sections if s.kind == "scenario"),
        prerequisites=prerequisites,
    )


async def status_list(
    session: AsyncSession, clock: Clock, keys: CredentialKeys, issuer: Issuer
) -> str:
    """The revocation status list credential, signed, built from the rows each time so
    that a revocation is in it from its commit."""
    revoked = await CertificateRepository(session).revoked_indices()
    credential = status_list_credential(
        url=issuer.status_list_url(), issuer=issuer.id, revoked=revoked, now=clock.now()
    )
    claims = {
        **credential,
        "iss": issuer.id,
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": int(clock.now().timestamp()),
        # Verifiers should fetch it again rather than trust an old copy for long.
        "exp": int(clock.now().timestamp()) + 24 * 3600,
    }
    return keys.sign(claims)


def linkedin_url(certificate: Certificate, issuer: Issuer, organization_id: str = "") -> str:
    """LinkedIn's add-to-profile link, filled in for this certificate."""
    shown = display(certificate.public_id)
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate.title,
        "issueYear": certificate.issued_on.year,
        "issueMonth": certificate.issued_on.month,
        "expirationYear": certificate.expires_on.year,
        "expirationMonth": certificate.expires_on.month,
        "certUrl": issuer.verify_url(shown),
        "certId": shown,
    }
    if organization_id:
        params["organizationId"] = organization_id
    else:
        params["organizationName"] = issuer.name
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


# --- Employer API keys -----------------------------------------------------------

EMPLOYER_KEY_PREFIX = "assay_ek_"


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_employer_key(
    session: AsyncSession, clock: Clock, name: str
) -> tuple[EmployerKey, str]:
    """A new key; the plain key is returned once and never stored."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = EmployerKey(
        id=uuid.uuid4(),
        name=name,
        prefix=prefix,
        secret_hash=_secret_hash(secret),
        created_at=clock.now(),
    )
    await EmployerKeyRepository(session).add(key)
    return key, f"{EMPLOYER_KEY_PREFIX}{prefix}_{secret}"


async def employer_for_key(session: AsyncSession, presented: str) -> EmployerKey:
    body = presented.removeprefix(EMPLOYER_KEY_PREFIX)
    prefix, _, secret = body.partition("_")
    key = await EmployerKeyRepository(session).by_prefix(prefix) if secret else None
    expected = key.secret_hash if key is not None else _secret_hash("no such key")
    # Compared whether or not the prefix was found: timing tells nothing either way.
    matches = hmac.compare_digest(expected, _secret_hash(secret))
    if key is None or not matches or key.revoked_at is not None:
        raise InvalidEmployerKey()
    return key
