"""The authors' regrade pages: the list with a form to propose a key correction, and one
regrade with its impact preview (or, once applied, what the apply did) and, for admins,
the form that applies it. Rendered from the regrading service; the forms post to
/api/v1/regrades with the session cookie and the CSRF value (static/regrades.js)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.core.deps import SessionDep, SettingsDep, UnitOfWorkRoute
from app.core.text import Text
from app.identity.models import Role, User
from app.regrading import service as regrading_service
from app.regrading.exceptions import RegradeNotFound
from app.regrading.impact import POLICIES, Rescored
from app.regrading.models import Regrade, RegradeResult, RegradeStatus
from app.web.pages import error_page, render, staff_user

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UnitOfWorkRoute)

CHANGES = {
    "rekey": "Re-key: this key replaces the published one",
    "accept": "Accept an additional key: this key earns the point as well",
    "drop": "Drop the item from scoring: it counts for nobody",
}
CHECK_CHANGES = {
    "drop": "Drop the check from scoring: its points count for nobody",
    "award": "Award the check to everyone graded: the check is broken",
}
OUTCOMES = {
    "changed": "Score changes",
    "new_pass": "Now passes",
    "pass_kept": "Below the pass mark; pass kept",
    "pass_revoked": "Below the pass mark; pass withdrawn",
}
LISTED = 200


def heading(regrade: Regrade) -> str:
    if regrade.check_name is not None:
        return f"check {regrade.check_name} of {regrade.scenario_id}"
    return str(regrade.item_id)


async def _author(request: Request, session: SessionDep) -> User | Response:
    return await staff_user(
        request, session, (Role.author, Role.admin), "Only authors and admins see regrades."
    )


@router.get("/author/regrades")
async def regrades_page(
    request: Request,
    session: SessionDep,
    scenario_id: Annotated[Text, Query(max_length=64)] = "",
    check: Annotated[Text, Query(max_length=128)] = "",
) -> Response:
    """The regrades; ``scenario_id`` and ``check`` fill the check form (the link from a
    check's row on an exam's analysis page)."""
    author = await _author(request, session)
    if isinstance(author, Response):
        return author
    return render(
        request,
        "regrades.html",
        title="Regrades",
        regrades=await regrading_service.listing(session),
        key_changes=await regrading_service.key_changes(session),
        item_changes=CHANGES,
        item_id="",
        check_changes=CHECK_CHANGES,
        check_scenario=scenario_id,
        check_name=check,
    )


@router.get("/author/regrades/{regrade_id}")
async def regrade_page(
    regrade_id: uuid.UUID, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    author = await _author(request, session)
    if isinstance(author, Response):
        return author
    try:
        regrade = await regrading_service.get(session, regrade_id)
    except RegradeNotFound:
        return error_page(request, 404)
    policy = regrade.drop_policy or settings.regrade_drop_policy
    attempts: Sequence[Rescored | RegradeResult]
    if regrade.status == RegradeStatus.proposed:
        preview = await regrading_service.preview(
            session, regrade.id, policy, batch=settings.regrade_batch, limit=LISTED
        )
        impact, attempts = preview.impact, preview.attempts
    else:
        impact = await regrading_service.applied_impact(session, regrade.id)
        attempts = await regrading_service.applied_results(session, regrade.id, LISTED)
    return render(
        request,
        "regrade.html",
        title=f"Regrade of {heading(regrade)}",
        heading=heading(regrade),
        regrade=regrade,
        change=(CHECK_CHANGES if regrade.check_name else CHANGES)[regrade.change],
        policy=policy,
        policy_text=POLICIES[policy],
        impact=impact,
        attempts=attempts,
        outcomes=OUTCOMES,
        may_apply=author.role == Role.admin and regrade.status == RegradeStatus.proposed,
    )
