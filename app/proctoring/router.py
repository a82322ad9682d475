"""The events the exam page reports (candidates), and the review routes (proctors and
admins only; never on their own attempts)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Query, Request, status

from app.attempts.exceptions import AttemptClosed, AttemptNotFound
from app.attempts.service import remaining_seconds
from app.certificates.dependencies import certificates_state
from app.core.deps import ClockDep, SessionDep, SettingsDep, UnitOfWorkRoute
from app.core.errors import NotAuthenticated, PermissionDenied, RateLimited, responses
from app.exams.exceptions import ExamNotFound
from app.grading.dependencies import scenario_registry
from app.identity.dependencies import CurrentUserId
from app.identity.models import User
from app.proctoring import flows
from app.proctoring.dependencies import ClientDep, ProctoringStateDep, Reviewer, ReviewPolicyDep
from app.proctoring.exceptions import (
    AlreadyDecided,
    AttemptNotFinished,
    CandidateNotFound,
    CertificateAlreadyIssued,
    EventLimitReached,
    OwnAttempt,
    ReviewClosed,
    TooManyEvents,
)
from app.proctoring.models import Review
from app.proctoring.schemas import (
    AccommodationIn,
    AccommodationOut,
    AttemptSummaryOut,
    CandidateOut,
    CheckCorrectionOut,
    CheckVerdictOut,
    DecisionIn,
    DecisionOut,
    EventIn,
    EventOut,
    ExtraTimeIn,
    ExtraTimeOut,
    FileDiffOut,
    FlagOut,
    GradingRecordOut,
    QueueEntryOut,
    ReviewDetailOut,
    ReviewOut,
    ScenarioChangesOut,
    SidePairOut,
    SimilarPairOut,
    StuckGradingOut,
    TimelineEntryOut,
)

events_router = APIRouter(prefix="/api/v1", tags=["attempts"], route_class=UnitOfWorkRoute)
router = APIRouter(prefix="/api/v1/review", tags=["review"], route_class=UnitOfWorkRoute)

_REVIEWER_ERRORS = (NotAuthenticated, PermissionDenied)


@events_router.post(
    "/attempts/{attempt_id}/events",
    status_code=status.HTTP_201_CREATED,
    response_model=EventOut,
    responses=responses(AttemptNotFound, AttemptClosed, EventLimitReached, TooManyEvents),
)
async def report_event(
    attempt_id: uuid.UUID,
    body: EventIn,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    user_id: CurrentUserId,
    state: ProctoringStateDep,
    client: ClientDep,
) -> EventOut:
    """What the exam page noticed (focus lost, paste, ...). Limited per attempt: a burst,
    then a steady rate (429 with Retry-After beyond it), and a cap on events kept."""
    # Refused before any database work, so a flood costs almost nothing.
    try:
        await state.events.take(f"{user_id}:{attempt_id}")
    except RateLimited as exc:
        raise TooManyEvents(exc.message, **exc.details) from exc
    event = await flows.report_event(
        session,
        clock,
        state.policy,
        user_id=user_id,
        attempt_id=attempt_id,
        client=client,
        grace=timedelta(seconds=settings.deadline_grace_seconds),
        type_=body.type.value,
        client_at=body.at,
        data=dict(body.data),
    )
    return EventOut(id=event.id, type=event.type, at=event.at)


def candidate_out(user: User) -> CandidateOut:
    return CandidateOut(id=user.id, name=user.full_name, email=user.email)


def review_out(review: Review, decided_by: User | None = None) -> ReviewOut:
    return ReviewOut(
        status=review.state.value,
        hold=review.hold,
        queued_because=review.queued_because,
        severity=review.severity.value if review.severity else None,
        flag_count=review.flag_count,
        queued_at=review.queued_at,
        decided_at=review.decided_at,
        decided_by=decided_by.email if decided_by else None,
        decision_reason=review.decision_reason,
    )


def check_verdict_out(check: flows.CheckReview) -> CheckVerdictOut:
    v = check.verdict
    correction = None
    if v.change == "drop" or v.change == "award":
        correction = CheckCorrectionOut(
            change=v.change, regrade_id=check.regrade_id, reason=check.regrade_reason
        )
    return CheckVerdictOut(
        name=v.name,
        public=v.public,
        message=v.message,
        points=v.points,
        passed=v.passed,
        earned=v.earned,
        passed_after=v.passed_after,
        earned_after=v.earned_after,
        correction=correction,
    )


@router.get(
    "/attempts",
    response_model=list[QueueEntryOut],
    responses=responses(*_REVIEWER_ERRORS),
)
async def review_queue(
    session: SessionDep,
    clock: ClockDep,
    reviewer: Reviewer,
    status: Literal["pending", "approved", "invalidated", "all"] = "pending",
    limit: int = Query(default=100, ge=1, le=500),
) -> list[QueueEntryOut]:
    """The queue: most severe first, then the longest waiting. Flagged attempts, sampled
    ones and those a proctor held; a reviewer's own attempts are not shown."""
    now = clock.now()
    return [
        QueueEntryOut(
            attempt_id=e.attempt.id,
            exam_code=e.attempt.exam_code,
            candidate=candidate_out(e.candidate),
            attempt_status=e.attempt.status.value,
            score=e.attempt.score,
            passed=e.attempt.passed,
            submitted_at=e.attempt.submitted_at,
            review_status=e.review.state.value,
            hold=e.review.hold,
            queued_because=e.review.queued_because,
            severity=e.review.severity.value if e.review.severity else None,
            flag_count=e.review.flag_count,
            queued_at=e.review.queued_at,
            age_seconds=max(0, int((now - e.review.queued_at).total_seconds())),
        )
        for e in await flows.queue(session, reviewer, status, limit=limit)
    ]


def detail_out(detail: flows.ReviewDetail, now: datetime) -> ReviewDetailOut:
    a = detail.attempt
    return ReviewDetailOut(
        attempt=AttemptSummaryOut(
            id=a.id,
            exam_code=a.exam_code,
            exam_title=detail.exam_title,
            status=a.status.value,
            started_at=a.started_at,
            deadline_at=a.deadline_at,
            remaining_seconds=remaining_seconds(a, now),
            submitted_at=a.submitted_at,
            submitted_by=a.submitted_by,
            scored_at=a.scored_at,
            score=a.score,
            passed=a.passed,
            pass_mark=detail.pass_mark,
            receipt=a.receipt,
        ),
        candidate=candidate_out(detail.candidate),
        review=review_out(detail.review, detail.decided_by) if detail.review else None,
        flags=[
            FlagOut(
                id=f.id,
                rule=f.rule,
                severity=f.severity.value,
                reason=f.reason,
                evidence=f.evidence,
                created_at=f.created_at,
                provisional=f.provisional,
            )
            for f in detail.flags
        ],
        timeline=[
            TimelineEntryOut(
                at=t.at, kind=t.kind, type=t.type, source=t.source, summary=t.summary, data=t.data
            )
            for t in detail.timeline
        ],
        scenarios=[
            ScenarioChangesOut(
                ref=s.ref,
                scenario_id=s.scenario_id,
                title=s.title,
                files=[FileDiffOut(path=f.path, diff=f.diff) for f in s.files],
            )
            for s in detail.scenarios
        ],
        grading=[
            GradingRecordOut(
                ref=g.ref,
                scenario_id=g.scenario_id,
                status=g.status,
                score=g.score,
                finished_at=g.finished_at,
                record=g.record,
                receipt=g.receipt,
                corrected_score=g.corrected_score,
                checks=[check_verdict_out(c) for c in g.checks],
            )
            for g in detail.grading
        ],
        similar=[
            SimilarPairOut(
                flag_id=p.flag_id,
                ref=p.ref,
                scenario_id=p.scenario_id,
                similarity=p.similarity,
                other_attempt_id=p.other_attempt_id,
                other_candidate=candidate_out(p.other_candidate) if p.other_candidate else None,
                files=[SidePairOut(path=f.path, this=f.this, other=f.other) for f in p.files],
            )
            for p in detail.similar
        ],
        certificate_id=detail.certificate_id,
    )


@router.get(
    "/stuck-gradings",
    response_model=list[StuckGradingOut],
    responses=responses(*_REVIEWER_ERRORS),
)
async def stuck_gradings(
    session: SessionDep,
    reviewer: Reviewer,
    limit: int = Query(default=100, ge=1, le=500),
) -> list[StuckGradingOut]:
    """Final gradings our infrastructure could not run after every retry, oldest first.
    They are never scored; the attempt stays `grading` and its candidate is told the
    grading is delayed."""
    return [
        StuckGradingOut(
            run_id=s.run.id,
            attempt_id=s.attempt.id,
            exam_code=s.attempt.exam_code,
            ref=s.run.ref,
            tries=s.run.attempts_made,
            submitted_at=s.attempt.submitted_at,
            given_up_at=s.run.finished_at,
        )
        for s in await flows.stuck_gradings(session, limit=limit)
    ]


@router.get(
    "/attempts/{attempt_id}",
    response_model=ReviewDetailOut,
    responses=responses(*_REVIEWER_ERRORS, OwnAttempt, AttemptNotFound),
)
async def review_detail(
    attempt_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    reviewer: Reviewer,
    policy: ReviewPolicyDep,
) -> ReviewDetailOut:
    """The timeline (events, saves, runs, grading, flags, decisions), the flags with
    their evidence, scenario changes as unified diffs and the grading record."""
    detail = await flows.detail(session, policy, scenario_registry(request), reviewer, attempt_id)
    return detail_out(detail, clock.now())


@router.post(
    "/attempts/{attempt_id}/decisions",
    response_model=DecisionOut,
    responses=responses(
        *_REVIEWER_ERRORS,
        OwnAttempt,
        AttemptNotFound,
        AttemptNotFinished,
        CertificateAlreadyIssued,
        AlreadyDecided,
        ReviewClosed,
    ),
)
async def decide(
    attempt_id: uuid.UUID,
    body: DecisionIn,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    reviewer: Reviewer,
) -> DecisionOut:
    """Approve (a held pass gets its certificate now), hold (no certificate until
    approved) or invalidate (every certificate the attempt produced is revoked with the
    reason, which verification shows), with a reason; audited."""
    outcome = await flows.decide(
        session,
        clock,
        reviewer,
        attempt_id,
        body.decision,
        body.reason,
        lookup=certificates_state(request.app).lookup,
    )
    return DecisionOut(
        attempt_id=outcome.attempt.id,
        decision=body.decision,
        attempt_status=outcome.attempt.status.value,
        review=review_out(outcome.review, reviewer),
        certificate_issued=outcome.issued,
        certificates_revoked=outcome.revoked,
    )


@router.post(
    "/attempts/{attempt_id}/extra-time",
    response_model=ExtraTimeOut,
    responses=responses(*_REVIEWER_ERRORS, OwnAttempt, AttemptNotFound, AttemptClosed),
)
async def extra_time(
    attempt_id: uuid.UUID,
    body: ExtraTimeIn,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    reviewer: Reviewer,
) -> ExtraTimeOut:
    """Moves a running attempt's deadline; the candidate's clock follows at its next
    sync. Audited."""
    attempt = await flows.grant_extra_time(
        session,
        clock,
        reviewer,
        attempt_id,
        body.minutes,
        body.reason,
        grace=timedelta(seconds=settings.deadline_grace_seconds),
    )
    return ExtraTimeOut(
        attempt_id=attempt.id,
        minutes=body.minutes,
        deadline_at=attempt.deadline_at,
        remaining_seconds=remaining_seconds(attempt, clock.now()),
    )


@router.post(
    "/accommodations",
    status_code=status.HTTP_201_CREATED,
    response_model=AccommodationOut,
    responses=responses(*_REVIEWER_ERRORS, OwnAttempt, CandidateNotFound, ExamNotFound),
)
async def accommodate(
    body: AccommodationIn, session: SessionDep, clock: ClockDep, reviewer: Reviewer
) -> AccommodationOut:
    """Extra minutes for a candidate on every attempt at an exam they start from now on
    (the latest grant stands; 0 withdraws it). Audited."""
    granted = await flows.accommodate(
        session,
        clock,
        reviewer,
        user_id=body.user_id,
        email=body.email,
        exam_code=body.exam_code,
        extra_minutes=body.extra_minutes,
        reason=body.reason,
    )
    return AccommodationOut(
        user_id=granted.user_id,
        exam_code=granted.exam_code,
        extra_minutes=granted.extra_minutes,
        reason=granted.reason,
        granted_at=granted.granted_at,
    )
