"""The pages. Reading pages (catalog, result, certificates, verification) are rendered
here from the same services the JSON API uses; the exam screen is a shell whose scripts
(static/*.js) work through the JSON API itself, signed in by the session cookie."""

from __future__ import annotations

import math
import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from app.attempts import service as attempts_service
from app.attempts.exceptions import AttemptNotFound
from app.attempts.models import Attempt, AttemptStatus
from app.certificates import ids
from app.certificates import service as certificates_service
from app.certificates.dependencies import certificates_state, client_key, verify_for_client
from app.certificates.exceptions import CertificateNotFound
from app.core.deps import ClockDep, SessionDep, UnitOfWorkRoute, runtime
from app.core.errors import RateLimited
from app.core.program import LEVELS
from app.core.text import Text
from app.exams import service as exams_service
from app.exams.exceptions import ExamNotFound
from app.exams.models import ExamVersion
from app.identity import service as identity_service
from app.identity.models import Role
from app.proctoring import service as proctoring_service
from app.sittings import service as sittings_service
from app.sittings.models import Latecomers
from app.web.importmap import import_map
from app.web.pages import error_page, render, signed_in_user_id, to_sign_in

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UnitOfWorkRoute)

SECTION_NAMES = {"mcq": "Multiple choice", "scenario": "Practical scenarios"}
DOMAIN_NAMES = {
    "lifecycle": "ML lifecycle and MLOps principles",
    "data": "Data versioning and validation",
    "tracking": "Experiment tracking and registries",
    "cicd": "CI/CD and continuous training",
    "containers": "Containers and orchestration",
    "serving": "Serving and release strategies",
    "features": "Feature stores and skew",
    "monitoring": "Monitoring and drift",
    "governance": "Governance, security and compliance",
    "cost": "Cost and scale",
}


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/exams"


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/exams", status_code=303)


@router.get("/sign-in")
async def sign_in_page(request: Request, next: Text | None = None) -> Response:
    return render(request, "sign_in.html", title="Sign in", next=_safe_next(next))


@router.get("/register")
async def register_page(request: Request, next: Text | None = None) -> Response:
    return render(request, "register.html", title="Create an account", next=_safe_next(next))


@dataclass(frozen=True)
class CatalogEntry:
    code: str
    title: str
    level: str
    format: str
    duration_minutes: int
    pass_mark_percent: int
    validity_months: int
    prerequisites: list[str]
    sections: list[tuple[str, int, int]]
    items: int
    # For a signed-in candidate: may they start now, and if not, why and from when.
    eligibility: attempts_service.Eligibility | None = None


def _catalog_entry(
    exam: ExamVersion,
    titles: dict[str, str],
    eligibility: attempts_service.Eligibility | None = None,
) -> CatalogEntry:
    blueprint = exams_service.blueprint_of(exam)
    counts = {s.kind: s.item_count for s in blueprint.sections}
    if counts.get("scenario"):
        n = counts["scenario"]
        fmt = f"Multiple choice and {n} practical scenario{'s' if n != 1 else ''}"
    else:
        fmt = "Multiple choice only"
    return CatalogEntry(
        code=exam.code,
        title=exam.title,
        level=exam.level,
        format=fmt,
        duration_minutes=exam.duration_minutes,
        pass_mark_percent=round(exam.pass_mark * 100),
        validity_months=exam.validity_months,
        prerequisites=[titles.get(code, code) for code in blueprint.prerequisites],
        sections=[
            (SECTION_NAMES.get(s.kind, s.kind), s.item_count, round(s.weight * 100))
            for s in blueprint.sections
        ],
        items=sum(counts.values()),
        eligibility=eligibility,
    )


def _in_level_order(exam: ExamVersion) -> tuple[int, str]:
    level = LEVELS.index(exam.level) if exam.level in LEVELS else len(LEVELS)
    return level, exam.title


@router.get("/exams")
async def catalog_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    exams = sorted(await exams_service.list_exams(session), key=_in_level_order)
    titles = {e.code: e.title for e in exams}
    user_id = await signed_in_user_id(request)
    entries = []
    for exam in exams:
        eligible = None
        if user_id is not None:
            eligible = await attempts_service.eligibility(session, clock, user_id, exam)
        entries.append(_catalog_entry(exam, titles, eligible))
    return render(request, "catalog.html", title="Exams", exams=entries)


@router.get("/exams/{exam_code}")
async def exam_intro_page(
    exam_code: Text, request: Request, session: SessionDep, clock: ClockDep
) -> Response:
    """Before the clock starts: the rules, the format, the time (with any accommodation)
    and an explicit start."""
    user_id = await signed_in_user_id(request)
    if user_id is None:
        return to_sign_in(request)
    try:
        exam = await exams_service.get_exam(session, exam_code)
    except ExamNotFound:
        return error_page(request, 404)
    titles = {e.code: e.title for e in await exams_service.list_exams(session)}
    eligible = await attempts_service.eligibility(session, clock, user_id, exam)
    extra = await proctoring_service.extra_minutes_for(session, user_id, exam.code)
    blueprint = exams_service.blueprint_of(exam)
    scenario = next((s for s in blueprint.sections if s.kind == "scenario"), None)
    user = await identity_service.get_user(session, user_id)
    sittings = await sittings_service.open_sittings(
        session, clock, user_id, user.role if user else Role.candidate, exam.code
    )
    now = clock.now()
    return render(
        request,
        "exam_intro.html",
        title=exam.title,
        exam=_catalog_entry(exam, titles, eligible),
        extra_minutes=extra,
        has_scenarios=scenario is not None,
        grace_seconds=runtime(request).settings.deadline_grace_seconds,
        sittings=[
            {
                "id": v.sitting.id,
                "starts_at": v.sitting.starts_at,
                "opens_at": v.sitting.check_in_opens_at,
                "closes_at": v.sitting.check_in_closes_at,
                "check_in_open": v.sitting.check_in_opens_at <= now < v.sitting.check_in_closes_at,
                "seats_left": max(0, v.sitting.capacity - v.sitting.checked_in),
                "full_duration": v.sitting.latecomers == Latecomers.full_duration,
                "attempt_id": v.attempt_id,
                "moved_from": v.sitting.moved_from,
                "notice": v.sitting.notice,
            }
            for v in sittings
        ],
    )


@router.get("/attempts/{attempt_id}")
async def exam_page(
    attempt_id: uuid.UUID, request: Request, session: SessionDep, clock: ClockDep
) -> Response:
    user_id = await signed_in_user_id(request)
    if user_id is None:
        return to_sign_in(request)
    try:
        attempt = await attempts_service.owned_attempt(session, user_id, attempt_id)
    except AttemptNotFound:
        return error_page(request, 404)
    if attempt.status != AttemptStatus.in_progress:
        return RedirectResponse(f"/attempts/{attempt_id}/result", status_code=303)
    exam = await exams_service.get_exam_version(session, attempt.exam_version_id)
    now = clock.now()
    if not attempts_service.has_started(attempt, now):
        # Checked in to a sitting: the waiting room until its start, then this page again.
        sitting = (
            await sittings_service.get_sitting(session, attempt.sitting_id)
            if attempt.sitting_id
            else None
        )
        return render(
            request,
            "waiting.html",
            title=exam.title,
            attempt_id=attempt.id,
            exam=exam,
            starts_at=attempt.started_at,
            starts_in=math.ceil((attempt.started_at - now).total_seconds()),
            moved_from=sitting.moved_from if sitting else None,
            notice=sitting.notice if sitting else None,
            minutes=round((attempt.deadline_at - attempt.started_at).total_seconds() / 60),
        )
    modules = import_map()
    style_nonce = secrets.token_urlsafe(18)
    page = render(
        request,
        "exam.html",
        title=exam.title,
        attempt_id=attempt.id,
        exam=exam,
        modules=modules,
        style_nonce=style_nonce,
    )
    page.headers["Content-Security-Policy"] = modules.policy(style_nonce)
    return page


async def _cancelled_page(request: Request, session: SessionDep, attempt: Attempt) -> Response:
    """An attempt closed by its sitting's cancellation: why, and the way to another."""
    exam = await exams_service.get_exam_version(session, attempt.exam_version_id)
    sitting = (
        await sittings_service.get_sitting(session, attempt.sitting_id)
        if attempt.sitting_id
        else None
    )
    return render(
        request,
        "cancelled.html",
        title=f"Cancelled: {exam.title}",
        exam=exam,
        exam_code=attempt.exam_code,
        starts_at=sitting.starts_at if sitting else attempt.started_at,
        notice=sitting.notice if sitting else None,
    )


@router.get("/attempts/{attempt_id}/result")
async def result_page(attempt_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    user_id = await signed_in_user_id(request)
    if user_id is None:
        return to_sign_in(request)
    try:
        attempt = await attempts_service.owned_attempt(session, user_id, attempt_id)
    except AttemptNotFound:
        return error_page(request, 404)
    if attempt.status == AttemptStatus.in_progress:
        return RedirectResponse(f"/attempts/{attempt_id}", status_code=303)
    if attempt.status == AttemptStatus.cancelled:
        return await _cancelled_page(request, session, attempt)
    view = await attempts_service.result_view(session, attempt)
    exam = await exams_service.get_exam_version(session, attempt.exam_version_id)
    return render(
        request,
        "result.html",
        title=f"Result: {exam.title}",
        attempt=attempt,
        exam=exam,
        final=attempt.status in (AttemptStatus.scored, AttemptStatus.under_review),
        score_percent=None if attempt.score is None else round(attempt.score * 100, 1),
        pass_mark_percent=round(view.pass_mark * 100),
        sections=[
            (
                SECTION_NAMES.get(kind, kind),
                None if score is None else round(score * 100, 1),
                round(weight * 100),
            )
            for kind, score, weight in view.sections
        ],
        certificate_id=view.certificate_id,
        domains=view.domains,
        domain_names=DOMAIN_NAMES,
        retake_from=view.retake_from,
        grading_delayed=view.grading_delayed,
    )


@router.get("/certificates")
async def certificates_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    user_id = await signed_in_user_id(request)
    if user_id is None:
        return to_sign_in(request)
    today = clock.now().date()
    state = certificates_state(request.app)
    certificates = []
    for c in await certificates_service.certificates_of(session, user_id):
        shown = certificates_service.display_id(c.public_id)
        certificates.append(
            {
                "id": shown,
                "title": c.title,
                "level": c.level,
                "status": certificates_service.status_of(c, today).value,
                "issued_on": c.issued_on,
                "expires_on": c.expires_on,
                "share_url": state.issuer.verify_url(shown),
                "linkedin_url": certificates_service.linkedin_url(
                    c, state.issuer, state.linkedin_organization_id
                ),
                "credential_url": f"/api/v1/certificates/{shown}/credential",
                "badge_download_url": f"/api/v1/certificates/{shown}/badge.svg",
                "badge_url": state.issuer.badge_url(c.level),
            }
        )
    return render(request, "certificates.html", title="My certificates", certificates=certificates)


@router.get("/certificates/{certificate_id}/print")
async def printable_certificate(
    certificate_id: Text, request: Request, session: SessionDep, clock: ClockDep
) -> Response:
    """The holder's certificate as a page to print or save as PDF, with a QR code to its
    public verification page."""
    user_id = await signed_in_user_id(request)
    if user_id is None:
        return to_sign_in(request)
    wanted = ids.normalise(certificate_id)
    mine = {c.public_id: c for c in await certificates_service.certificates_of(session, user_id)}
    certificate = mine.get(wanted or "")
    if certificate is None:
        return error_page(request, 404)
    state = certificates_state(request.app)
    shown = certificates_service.display_id(certificate.public_id)
    verify_url = state.issuer.verify_url(shown)
    qr = segno.make(verify_url, error="m").svg_inline(
        scale=4, title=f"QR code: {verify_url}", svgclass="qr", lineclass="qr-line"
    )
    return render(
        request,
        "certificate_print.html",
        title=f"Certificate {shown}",
        certificate=certificate,
        shown_id=shown,
        status=certificates_service.status_of(certificate, clock.now().date()).value,
        verify_url=verify_url,
        badge_url=state.issuer.badge_url(certificate.level),
        issuer=state.issuer,
        qr_svg=Markup(qr),  # noqa: S704 (segno's own SVG of our URL)
    )


async def _verification(request: Request, clock: ClockDep, raw_id: str, last_name: str) -> Response:
    """The page over the API's public lookup: the same cache, the same rate limits, and a
    wrong last name answered exactly as an unknown ID. An ID that cannot be one is told
    so at once (that says nothing about which IDs exist)."""
    raw_id, last_name = raw_id.strip()[:64], last_name.strip()[:200]
    problem = ids.malformed(raw_id)
    if problem is not None:
        return _verify_form(request, entered_id=raw_id, last_name=last_name, malformed=problem)
    state = certificates_state(request.app)
    try:
        found = await verify_for_client(
            state, clock, client_key(request), raw_id, last_name or None
        )
    except CertificateNotFound:
        return _verify_form(
            request, status_code=404, entered_id=raw_id, last_name=last_name, not_found=True
        )
    except RateLimited:
        return error_page(request, 429)
    return render(
        request,
        "verify.html",
        title=f"Certificate {found.certificate_id}",
        entered_id=found.certificate_id,
        last_name=last_name,
        not_found=False,
        malformed=None,
        result=found,
        share_url=certificates_state(request.app).issuer.verify_url(found.certificate_id),
    )


def _verify_form(
    request: Request,
    *,
    status_code: int = 200,
    entered_id: str = "",
    last_name: str = "",
    not_found: bool = False,
    malformed: str | None = None,
) -> Response:
    return render(
        request,
        "verify.html",
        status_code=422 if malformed else status_code,
        title="Verify a certificate",
        entered_id=entered_id,
        last_name=last_name,
        not_found=not_found,
        malformed=malformed,
        result=None,
    )


@router.get("/verify")
async def verify_form(
    request: Request, certificate_id: Text | None = None, last_name: Text = ""
) -> Response:
    """The form; submitted (a GET, so the answer can be bookmarked and shared), it goes
    to the certificate's own address."""
    if certificate_id is None:
        return _verify_form(request)
    raw_id, last_name = certificate_id.strip()[:64], last_name.strip()[:200]
    problem = ids.malformed(raw_id)
    if problem is not None:
        return _verify_form(request, entered_id=raw_id, last_name=last_name, malformed=problem)
    target = f"/verify/{ids.display(ids.normalise(raw_id) or '')}"
    if last_name:
        target += "?" + urlencode({"last_name": last_name})
    return RedirectResponse(target, status_code=303)


@router.post("/verify")
async def verify_submitted(
    request: Request,
    clock: ClockDep,
    certificate_id: Annotated[Text, Form()] = "",
    last_name: Annotated[Text, Form()] = "",
) -> Response:
    # Forms from before verification answers had their own address; it changes
    # nothing, so it needs no CSRF value.
    return await _verification(request, clock, certificate_id, last_name)


@router.get("/verify/{certificate_id}")
async def verify_page(
    certificate_id: Text, request: Request, clock: ClockDep, last_name: Text = ""
) -> Response:
    return await _verification(request, clock, certificate_id, last_name)
