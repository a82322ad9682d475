"""The proctors' pages: the review queue and one attempt under review. Rendered from the
same flows as the review API; the decision and extra-time forms post to that API with
the session cookie and the CSRF value (static/review.js)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.attempts.exceptions import AttemptNotFound
from app.attempts.models import AttemptStatus
from app.core.deps import ClockDep, SessionDep, UnitOfWorkRoute
from app.core.text import Text
from app.exams import service as exams_service
from app.grading.dependencies import scenario_registry
from app.identity.models import Role, User
from app.proctoring import flows
from app.proctoring.dependencies import review_policy
from app.proctoring.exceptions import OwnAttempt
from app.proctoring.signals import duration
from app.web.pages import error_page, render, staff_user

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UnitOfWorkRoute)

STATUSES = {
    "pending": "Waiting for a decision",
    "approved": "Approved",
    "invalidated": "Invalidated",
    "all": "All",
}
RULE_NAMES = {
    "focus_losses": "Left the exam window",
    "large_paste": "Large paste into a scenario",
    "fast_answers": "Answers faster than reading",
    "ip_changes": "Network address changed",
    "concurrent_sessions": "Two sessions at once",
    "similar_submission": "Similar to another candidate",
    "event_flood": "Too many page events",
}


async def _reviewer(request: Request, session: SessionDep) -> User | Response:
    return await staff_user(
        request, session, (Role.proctor, Role.admin), "Only proctors and admins review attempts."
    )


@router.get("/review")
async def queue_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    status: Annotated[Text, Query()] = "pending",
) -> Response:
    reviewer = await _reviewer(request, session)
    if isinstance(reviewer, Response):
        return reviewer
    if status not in STATUSES:
        status = "pending"
    now = clock.now()
    found = await flows.queue(session, reviewer, status, limit=200)
    titles = {
        code: await exams_service.exam_title(session, code)
        for code in {e.attempt.exam_code for e in found}
    }
    entries = [
        {
            "attempt_id": e.attempt.id,
            "severity": e.review.severity.value if e.review.severity else None,
            "age": duration((now - e.review.queued_at).total_seconds()),
            "exam": titles[e.attempt.exam_code],
            "candidate": e.candidate.full_name,
            "email": e.candidate.email,
            "flags": e.review.flag_count,
            "hold": e.review.hold,
            "because": e.review.queued_because,
            "state": e.review.state.value,
            "attempt_status": e.attempt.status.value.replace("_", " "),
        }
        for e in found
    ]
    stuck = [
        {
            "attempt_id": s.attempt.id,
            "exam": await exams_service.exam_title(session, s.attempt.exam_code),
            "ref": s.run.ref,
            "tries": s.run.attempts_made,
            "since": duration((now - (s.attempt.submitted_at or s.run.created_at)).total_seconds()),
        }
        for s in await flows.stuck_gradings(session, limit=50)
    ]
    return render(
        request,
        "review_queue.html",
        title="Review queue",
        entries=entries,
        status=status,
        statuses=STATUSES,
        stuck=stuck,
    )


def _diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each line of a unified diff with its kind; the +/- signs stay in the text."""
    kinds = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kinds.append(("file", line))
        elif line.startswith("@@"):
            kinds.append(("hunk", line))
        elif line.startswith("+"):
            kinds.append(("add", line))
        elif line.startswith("-"):
            kinds.append(("del", line))
        else:
            kinds.append(("same", line))
    return kinds


@router.get("/review/attempts/{attempt_id}")
async def attempt_page(
    attempt_id: uuid.UUID, request: Request, session: SessionDep, clock: ClockDep
) -> Response:
    reviewer = await _reviewer(request, session)
    if isinstance(reviewer, Response):
        return reviewer
    try:
        detail = await flows.detail(
            session,
            review_policy(request.app),
            scenario_registry(request),
            reviewer,
            attempt_id,
        )
    except AttemptNotFound:
        return error_page(request, 404)
    except OwnAttempt as exc:
        return error_page(request, 403, exc.message)
    a = detail.attempt
    review = detail.review
    context: dict[str, Any] = {
        "detail": detail,
        "attempt": a,
        "running": a.status == AttemptStatus.in_progress,
        "finished": a.status in flows.FINISHED,
        "score_percent": None if a.score is None else round(a.score * 100, 1),
        "pass_mark_percent": round(detail.pass_mark * 100),
        "remaining": duration(max(0.0, (a.deadline_at - clock.now()).total_seconds())),
        "review": review,
        "rule_names": RULE_NAMES,
        "diffs": [(s, [(f.path, _diff_lines(f.diff)) for f in s.files]) for s in detail.scenarios],
    }
    return render(
        request,
        "review_attempt.html",
        title=f"Review: {detail.candidate.full_name}, {detail.exam_title}",
        **context,
    )
