from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse

from app.attempts.dependencies import Starter
from app.attempts.exceptions import (
    AlreadyCertified,
    AttemptLimitReached,
    AttemptPending,
    ExamUnavailable,
    PrerequisiteMissing,
    RetakeTooSoon,
)
from app.attempts.schemas import AdmissionWaitOut, AttemptStartedOut, attempt_started_out
from app.core.clock import Clock
from app.core.deps import ClockDep, SessionDep, SettingsDep, UnitOfWorkRoute
from app.core.errors import responses
from app.core.text import Text
from app.exams.exceptions import ExamNotFound
from app.grading.dependencies import scenario_registry
from app.identity.dependencies import CurrentUser, require_role
from app.identity.models import Role, User
from app.proctoring.audit import Actor
from app.sittings import service
from app.sittings.exceptions import (
    CheckInClosed,
    CheckInNotOpen,
    InvalidSitting,
    NotOnRoster,
    OtherAttemptRunning,
    SittingCancelled,
    SittingFull,
    SittingMoved,
    SittingNotFound,
    SittingStarted,
)
from app.sittings.schemas import SittingCancelIn, SittingChangeIn, SittingIn, SittingOut

router = APIRouter(prefix="/api/v1", tags=["sittings"], route_class=UnitOfWorkRoute)

Admin = Annotated[User, Depends(require_role(Role.admin))]


def sitting_out(view: service.SittingView, clock: Clock) -> SittingOut:
    s = view.sitting
    now = clock.now()
    return SittingOut(
        id=s.id,
        exam_code=s.exam_code,
        starts_at=s.starts_at,
        ends_at=view.ends_at,
        duration_minutes=view.duration_minutes,
        check_in_opens_at=s.check_in_opens_at,
        check_in_closes_at=s.check_in_closes_at,
        capacity=s.capacity,
        checked_in=s.checked_in,
        seats_left=max(0, s.capacity - s.checked_in),
        latecomers=s.latecomers,
        open=not s.roster_only,
        check_in_open=s.check_in_opens_at <= now < s.check_in_closes_at,
        attempt_id=view.attempt_id,
        cancelled_at=s.cancelled_at,
        moved_from=s.moved_from,
        notice=s.notice,
    )


@router.post(
    "/sittings",
    status_code=status.HTTP_201_CREATED,
    response_model=SittingOut,
    responses=responses(ExamNotFound, InvalidSitting),
    summary="Schedule a sitting (admin)",
)
async def schedule_sitting(
    body: SittingIn, session: SessionDep, clock: ClockDep, admin: Admin
) -> SittingOut:
    view = await service.schedule(
        session,
        clock,
        admin.id,
        exam_code=body.exam_code,
        starts_at=body.starts_at,
        check_in_opens_at=body.check_in_opens_at,
        check_in_closes_at=body.check_in_closes_at,
        capacity=body.capacity,
        latecomers=body.latecomers,
        roster=body.roster,
    )
    return sitting_out(view, clock)


@router.get(
    "/sittings",
    response_model=list[SittingOut],
    summary="Sittings open for check-in",
    description="Sittings whose check-in has not closed, soonest first; a candidate sees "
    "the open ones and those whose roster names them.",
)
async def list_sittings(
    session: SessionDep, clock: ClockDep, user: CurrentUser, exam_code: Text | None = None
) -> list[SittingOut]:
    views = await service.open_sittings(session, clock, user.id, user.role, exam_code)
    return [sitting_out(v, clock) for v in views]


@router.post(
    "/sittings/{sitting_id}/check-in",
    status_code=status.HTTP_201_CREATED,
    response_model=AttemptStartedOut,
    responses={
        200: {"description": "Checked in already: the same attempt", "model": AttemptStartedOut},
        202: {
            "description": "Waiting for admission: nothing created yet, ask again after "
            "`Retry-After` seconds (the wait is not counted against the candidate)",
            "model": AdmissionWaitOut,
        },
        **responses(
            SittingNotFound,
            NotOnRoster,
            CheckInNotOpen,
            CheckInClosed,
            SittingFull,
            SittingCancelled,
            SittingMoved,
            OtherAttemptRunning,
            PrerequisiteMissing,
            RetakeTooSoon,
            AttemptLimitReached,
            AttemptPending,
            AlreadyCertified,
            ExamUnavailable,
        ),
    },
    summary="Check in to a sitting",
    description="Creates the candidate's attempt (form drawn, every eligibility rule of a "
    "start applied) with `status: checked_in`: its clock starts at the sitting's "
    "`starts_at` (`deadline_at` = `starts_at` + duration + extra time) and its items open "
    "then. A latecomer (after the start, within the check-in window) starts at once.",
)
async def check_in(
    sitting_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    starter: Starter,
) -> JSONResponse:
    started = await service.check_in(
        session,
        clock,
        starter.user_id,
        sitting_id,
        arrived_at=starter.arrived_at,
        grace=timedelta(seconds=settings.deadline_grace_seconds),
        scenarios=scenario_registry(request),
        exposure=request.app.state.exposure,
        seed=request.app.state.seeds.next_seed(),
    )
    return JSONResponse(
        attempt_started_out(started, clock.now()).model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if started.created else status.HTTP_200_OK,
    )


@router.patch(
    "/sittings/{sitting_id}",
    response_model=SittingOut,
    responses=responses(SittingNotFound, SittingStarted, SittingCancelled, InvalidSitting),
    summary="Move a sitting (admin)",
    description="Before it starts: a new `starts_at` moves the check-in window with it "
    "unless a new window is given. Candidates checked in keep their attempt; its clock "
    "starts at the new start with the same length. They are mailed the `reason`; the "
    "move is in the audit trail. 409 `sitting_started` once it has started.",
)
async def reschedule_sitting(
    sitting_id: uuid.UUID,
    body: SittingChangeIn,
    session: SessionDep,
    clock: ClockDep,
    admin: Admin,
) -> SittingOut:
    view = await service.reschedule(
        session,
        clock,
        Actor(admin.id, admin.email),
        sitting_id,
        starts_at=body.starts_at,
        check_in_opens_at=body.check_in_opens_at,
        check_in_closes_at=body.check_in_closes_at,
        reason=body.reason,
    )
    return sitting_out(view, clock)


@router.post(
    "/sittings/{sitting_id}/cancel",
    response_model=SittingOut,
    responses=responses(SittingNotFound, SittingStarted, SittingCancelled),
    summary="Cancel a sitting (admin)",
    description="Before it starts: no more check-ins, and every attempt checked in is "
    "closed without a score (`status: cancelled`, no certificate, not counted as an "
    "attempt), so its candidates may check in elsewhere or start again. They are mailed "
    "the `reason`; the cancellation is in the audit trail.",
)
async def cancel_sitting(
    sitting_id: uuid.UUID,
    body: SittingCancelIn,
    session: SessionDep,
    clock: ClockDep,
    admin: Admin,
) -> SittingOut:
    view = await service.cancel(
        session, clock, Actor(admin.id, admin.email), sitting_id, reason=body.reason
    )
    return sitting_out(view, clock)
