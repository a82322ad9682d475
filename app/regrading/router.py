"""/api/v1/regrades: authors and admins propose and preview key corrections; admins
apply them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.core.deps import ClockDep, PendingJobsDep, SessionDep, SettingsDep, UnitOfWorkRoute
from app.core.errors import NotAuthenticated, PermissionDenied, responses
from app.grading.dependencies import scenario_registry
from app.grading.exceptions import ScenarioNotFound
from app.grading.scenarios import Scenario
from app.identity.dependencies import require_role
from app.identity.models import Role, User
from app.regrading import service
from app.regrading.exceptions import (
    CheckNotInScenario,
    ItemNotFound,
    KeyNotInItem,
    LastCheck,
    RegradeInProgress,
    RegradeNotFound,
    RegradeNotProposed,
)
from app.regrading.impact import POLICIES, Impact
from app.regrading.models import Regrade, RegradeResult
from app.regrading.schemas import (
    ApplyIn,
    AttemptChangeOut,
    CountsOut,
    ExamCountsOut,
    ImpactOut,
    PolicyOut,
    PreviewOut,
    RegradeDetailOut,
    RegradeIn,
    RegradeOut,
)

router = APIRouter(prefix="/api/v1/regrades", tags=["regrades"], route_class=UnitOfWorkRoute)

Author = Annotated[User, Depends(require_role(Role.author, Role.admin))]
Admin = Annotated[User, Depends(require_role(Role.admin))]
Scenarios = Annotated[Mapping[str, Scenario], Depends(scenario_registry)]
_STAFF_ERRORS = (NotAuthenticated, PermissionDenied)


def regrade_out(regrade: Regrade) -> RegradeOut:
    return RegradeOut(
        id=regrade.id,
        target="check" if regrade.check_name is not None else "item",
        item_id=regrade.item_id,
        scenario_id=regrade.scenario_id,
        check=regrade.check_name,
        scenario_version=regrade.scenario_version,
        change=regrade.change,
        key=[str(k) for k in regrade.key],
        item_versions=len(regrade.item_version_ids),
        reason=regrade.reason,
        status=regrade.status.value,
        proposed_at=regrade.proposed_at,
        applied_at=regrade.applied_at,
        finished_at=regrade.finished_at,
        apply_reason=regrade.apply_reason,
        drop_policy=regrade.drop_policy,
    )


def impact_out(impact: Impact) -> ImpactOut:
    return ImpactOut(
        total=CountsOut(**vars(impact.total)),
        exams=[
            ExamCountsOut(exam_code=code, **vars(counts))
            for code, counts in sorted(impact.by_exam.items())
        ],
    )


def result_out(result: RegradeResult) -> AttemptChangeOut:
    return AttemptChangeOut.model_validate(result, from_attributes=True)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RegradeOut,
    responses=responses(
        *_STAFF_ERRORS,
        ItemNotFound,
        ScenarioNotFound,
        KeyNotInItem,
        CheckNotInScenario,
        LastCheck,
    ),
)
async def propose(
    body: RegradeIn, session: SessionDep, clock: ClockDep, scenarios: Scenarios, author: Author
) -> RegradeOut:
    """Proposes a key correction to a delivered item (every version published so far),
    or a correction to a delivered scenario's hidden check (every version up to the one
    installed)."""
    if body.scenario_id is not None and body.check is not None:
        regrade = await service.propose_check(
            session,
            clock,
            author,
            scenarios,
            scenario_id=body.scenario_id,
            check=body.check,
            change=body.change,
            reason=body.reason,
        )
        return regrade_out(regrade)
    assert body.item_id is not None  # the schema asks for one target
    regrade = await service.propose(
        session,
        clock,
        author,
        item_id=body.item_id,
        change=body.change,
        key=body.key,
        reason=body.reason,
    )
    return regrade_out(regrade)


@router.get("", response_model=list[RegradeOut], responses=responses(*_STAFF_ERRORS))
async def list_regrades(session: SessionDep, _: Author) -> list[RegradeOut]:
    return [regrade_out(r) for r in await service.listing(session)]


@router.get(
    "/{regrade_id}",
    response_model=RegradeDetailOut,
    responses=responses(*_STAFF_ERRORS, RegradeNotFound),
)
async def regrade_detail(
    regrade_id: uuid.UUID,
    session: SessionDep,
    _: Author,
    limit: Annotated[int, Query(ge=0, le=1000)] = 200,
) -> RegradeDetailOut:
    regrade = await service.get(session, regrade_id)
    return RegradeDetailOut(
        regrade=regrade_out(regrade),
        applied=impact_out(await service.applied_impact(session, regrade.id)),
        attempts=[result_out(r) for r in await service.applied_results(session, regrade.id, limit)],
    )


@router.get(
    "/{regrade_id}/preview",
    response_model=PreviewOut,
    responses=responses(*_STAFF_ERRORS, RegradeNotFound, RegradeNotProposed),
)
async def preview(
    regrade_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    _: Author,
    limit: Annotated[int, Query(ge=0, le=1000)] = 200,
) -> PreviewOut:
    """Every affected attempt rescored now, nothing written: the counts per exam (exactly
    what applying would do) and the attempts whose score moves (at most ``limit``)."""
    result = await service.preview(
        session,
        regrade_id,
        settings.regrade_drop_policy,
        batch=settings.regrade_batch,
        limit=limit,
    )
    return PreviewOut(
        regrade=regrade_out(result.regrade),
        policy=PolicyOut(
            name=settings.regrade_drop_policy, text=POLICIES[settings.regrade_drop_policy]
        ),
        impact=impact_out(result.impact),
        attempts=[
            AttemptChangeOut.model_validate(r, from_attributes=True) for r in result.attempts
        ],
    )


@router.post(
    "/{regrade_id}/apply",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegradeOut,
    responses=responses(*_STAFF_ERRORS, RegradeNotFound, RegradeInProgress),
)
async def apply(
    regrade_id: uuid.UUID,
    body: ApplyIn,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    jobs: PendingJobsDep,
    admin: Admin,
) -> RegradeOut:
    """Applies the correction in the background (follow it on the regrade). Asking again
    changes nothing: an applied regrade stays as it is; one still applying resumes."""
    regrade = await service.request_apply(
        session,
        clock,
        jobs,
        admin,
        regrade_id,
        reason=body.reason,
        policy=settings.regrade_drop_policy,
    )
    return regrade_out(regrade)
