"""The issuer's public documents, at the URLs its credentials name: the issuer profile and
each achievement. One URL serves both readers: JSON-LD for a verifier or a wallet, a page
for a person who follows the link (content negotiation on ``Accept``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.certificates import service as certificates_service
from app.certificates.achievement import achievement_document, criteria, description
from app.certificates.dependencies import CertificatesStateDep
from app.core.deps import SessionDep, UnitOfWorkRoute
from app.core.errors import NotFound, responses
from app.core.text import Text
from app.exams.exceptions import ExamNotFound
from app.web.pages import render, wants_page

router = APIRouter(tags=["verification"], route_class=UnitOfWorkRoute)

JSON_LD = "application/ld+json"
# Public and the same for everyone: caches may keep them a while.
_PUBLIC_CACHE = {"Cache-Control": "public, max-age=300", "Vary": "Accept"}


def _document(request: Request, document: dict[str, object]) -> Response:
    media = JSON_LD if JSON_LD in request.headers.get("accept", "") else "application/json"
    return JSONResponse(document, media_type=media, headers=_PUBLIC_CACHE)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> RedirectResponse:
    # Browsers ask for this path on their own; the icon is an SVG.
    return RedirectResponse("/static/favicon.svg", status_code=308)


@router.get("/issuer", responses={200: {"content": {JSON_LD: {}, "text/html": {}}}})
async def issuer_profile(request: Request, state: CertificatesStateDep) -> Response:
    """The issuer profile the credentials name."""
    if wants_page(request):
        response = render(request, "issuer.html", title=state.issuer.name, issuer=state.issuer)
        response.headers.update(_PUBLIC_CACHE)
        return response
    return _document(request, state.issuer.profile_document())


@router.get(
    "/achievements/{exam_code}",
    responses={200: {"content": {JSON_LD: {}, "text/html": {}}}, **responses(NotFound)},
)
async def achievement_page(
    exam_code: Text, request: Request, session: SessionDep, state: CertificatesStateDep
) -> Response:
    """What a certificate of this exam attests: level, format, criteria and badge."""
    try:
        facts = await certificates_service.exam_facts(session, exam_code)
    except ExamNotFound as exc:
        raise NotFound("There is no achievement with this ID.") from exc
    if wants_page(request):
        response = render(
            request,
            "achievement.html",
            title=facts.title,
            facts=facts,
            description=description(facts),
            criteria=criteria(facts),
            badge_url=state.issuer.badge_url(facts.level),
            issuer=state.issuer,
        )
        response.headers.update(_PUBLIC_CACHE)
        return response
    return _document(request, achievement_document(facts, state.issuer))
