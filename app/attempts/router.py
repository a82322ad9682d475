from __future__ import annotations

import math
import uuid
from datetime import timedelta

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from app.attempts import service
from app.attempts.dependencies import (
    OwnedAttempt,
    RunRequest,
    Starter,
    autosave_repository,
    hot_reads,
)
from app.attempts.exceptions import (
    AlreadyCertified,
    AttemptClosed,
    AttemptLimitReached,
    AttemptNotFound,
    AttemptNotStarted,
    AttemptPending,
    ExamUnavailable,
    InvalidAnswer,
    ItemNotFound,
    NoPipeline,
    NoPipelineRunsLeft,
    NoRunsLeft,
    PrerequisiteMissing,
    RetakeTooSoon,
    RunNotFound,
    ScenarioUnavailable,
)
from app.attempts.models import Attempt, AttemptStatus
from app.attempts.repository import FormMeta
from app.attempts.schemas import (
    AdmissionWaitOut,
    AttemptStartedOut,
    AttemptStateOut,
    ItemStateOut,
    McqItemOut,
    OptionOut,
    PipelineRunOut,
    ResponseIn,
    ResultOut,
    RunCheckOut,
    RunOut,
    RunQueuedOut,
    SavedOut,
    ScenarioItemOut,
    SectionScoreOut,
    attempt_started_out,
)
from app.availability import service as availability_service
from app.core.deps import (
    ClockDep,
    PendingJobsDep,
    SessionDep,
    SettingsDep,
    UnitOfWorkRoute,
    runtime,
)
from app.core.errors import responses
from app.core.text import Text
from app.exams import service as exams_service
from app.exams.exceptions import ExamNotFound
from app.grading.dependencies import scenario_registry
from app.identity.dependencies import CurrentUserId, HotUserId
from app.proctoring import service as proctoring_service
from app.proctoring.dependencies import ClientDep, ReviewPolicyDep, client_notes

router = APIRouter(prefix="/api/v1", tags=["attempts"], route_class=UnitOfWorkRoute)
# Autosave, the hottest route, alone: the app matches it before any other (routes are
# tried one by one, in order), and it needs no unit of work.
autosave_router = APIRouter(prefix="/api/v1", tags=["attempts"])


@autosave_router.put(
    "/attempts/{attempt_id}/responses/{ref}",
    response_model=SavedOut,
    responses=responses(
        AttemptNotFound, ItemNotFound, AttemptClosed, AttemptNotStarted, InvalidAnswer
    ),
)
async def save_response(
    attempt_id: uuid.UUID, ref: Text, body: ResponseIn, request: Request, user_id: HotUserId
) -> SavedOut:
    # The hot path: no session, no unit of work (one autocommit statement writes), and
    # the app's runtime read directly instead of through per-request dependencies.
    rt = runtime(request)
    saved = await service.save_response(
        autosave_repository(request),
        rt.clock,
        grace=timedelta(seconds=rt.settings.deadline_grace_seconds),
        scenarios=scenario_registry(request),
        user_id=user_id,
        attempt_id=attempt_id,
        ref=ref,
        seq=body.seq,
        choices=body.choices,
        files=body.files,
        flagged=body.flagged,
    )
    return SavedOut(ref=saved.ref, seq=saved.seq, saved_at=saved.saved_at, receipt=saved.receipt)


@router.post(
    "/exams/{code}/attempts",
    status_code=status.HTTP_201_CREATED,
    response_model=AttemptStartedOut,
    responses={
        200: {"description": "An attempt already in progress, resumed", "model": AttemptStartedOut},
        202: {
            "description": "Waiting for admission: nothing started yet, ask again after "
            "`Retry-After` seconds",
            "model": AdmissionWaitOut,
        },
        **responses(
            ExamNotFound,
            PrerequisiteMissing,
            RetakeTooSoon,
            AttemptLimitReached,
            AttemptPending,
            AlreadyCertified,
            ExamUnavailable,
        ),
    },
)
async def start_attempt(
    code: Text,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    starter: Starter,
) -> JSONResponse:
    started = await service.start_attempt(
        session,
        clock,
        starter.user_id,
        code,
        grace=timedelta(seconds=settings.deadline_grace_seconds),
        scenarios=scenario_registry(request),
        exposure=request.app.state.exposure,
        seed=request.app.state.seeds.next_seed(),
        balancer=request.app.state.balancer,
    )
    return JSONResponse(
        attempt_started_out(started, clock.now()).model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if started.created else status.HTTP_200_OK,
    )


@router.get(
    "/attempts/{attempt_id}",
    response_model=AttemptStateOut,
    responses=responses(AttemptNotFound),
)
async def attempt_state(
    attempt_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user_id: HotUserId,
    review: ReviewPolicyDep,
    client: ClientDep,
) -> AttemptStateOut:
    # What every candidate of a sitting asks at its start: the attempt's row and its
    # answers in one autocommit read, the form from the per-process cache (hot.py).
    found = await hot_reads(request).state(attempt_id)
    if found is None or found[0].owner_id != user_id:
        raise AttemptNotFound()
    row, answers = found
    clock = runtime(request).clock
    # The page syncs its clock here every 30 s: where proctoring notes who works on the
    # attempt from where (a new address, a second sign-in). Autosave stays untouched.
    if row.status == AttemptStatus.in_progress:
        await proctoring_service.observe(
            session, clock, review, attempt_id, client, client_notes(request)
        )
    now = clock.now()
    form = await autosave_repository(request).form_meta(attempt_id, now)
    view = await service.state_view(
        session,
        attempt_id,
        form or FormMeta(user_id, {}, row.started_at),
        answers,
        scenario_registry(request),
    )
    return AttemptStateOut(
        id=attempt_id,
        exam_code=row.exam_code,
        status=service.public_status(row, now),
        started_at=row.started_at,
        starts_at=row.started_at,
        starts_in_seconds=max(0, math.ceil((row.started_at - now).total_seconds())),
        deadline_at=row.deadline_at,
        remaining_seconds=service.remaining_seconds(row, now),
        submitted_at=row.submitted_at,
        receipt=row.receipt,
        answers_receipt=view.receipt,
        credited_seconds=row.credited_seconds,
        items=[
            ItemStateOut(
                ref=ref,
                kind=kind,
                position=position,
                answered=ref in view.answered,
                flagged=ref in view.flagged,
            )
            for ref, kind, position in view.items
        ],
    )


async def _state_out(
    attempt: Attempt, request: Request, session: SessionDep, clock: ClockDep
) -> AttemptStateOut:
    view = await service.attempt_view(session, attempt, scenario_registry(request))
    now = clock.now()
    return AttemptStateOut(
        id=attempt.id,
        exam_code=attempt.exam_code,
        status=service.public_status(attempt, now),
        started_at=attempt.started_at,
        starts_at=attempt.started_at,
        starts_in_seconds=max(0, math.ceil((attempt.started_at - now).total_seconds())),
        deadline_at=attempt.deadline_at,
        remaining_seconds=service.remaining_seconds(attempt, now),
        submitted_at=attempt.submitted_at,
        receipt=attempt.receipt,
        answers_receipt=view.receipt,
        credited_seconds=await availability_service.credited_seconds(session, attempt.id),
        items=[
            ItemStateOut(
                ref=i.ref,
                kind=i.kind,
                position=i.position,
                answered=i.ref in view.answered,
                flagged=bool(view.responses.get(i.ref) and view.responses[i.ref].flagged),
            )
            for i in view.items
        ],
    )


@router.get(
    "/attempts/{attempt_id}/items/{ref}",
    response_model=McqItemOut | ScenarioItemOut,
    responses=responses(AttemptNotFound, ItemNotFound, AttemptNotStarted),
)
async def attempt_item(
    attempt_id: uuid.UUID, ref: Text, request: Request, session: SessionDep, user_id: HotUserId
) -> McqItemOut | ScenarioItemOut:
    # One autocommit read (the attempt's owner and start, the slot, the stored answer);
    # the item's text and HTML from the per-process cache (hot.py).
    slot = await hot_reads(request).item(attempt_id, ref)
    if slot is None or slot.owner_id != user_id:
        raise AttemptNotFound()
    if slot.started_at > runtime(request).clock.now():
        raise AttemptNotStarted()
    if slot.kind is None:
        raise ItemNotFound()
    if slot.kind == "scenario":
        attempt = await service.owned_attempt(session, user_id, attempt_id)
        sv = await service.scenario_view(session, attempt, ref, scenario_registry(request))
        return ScenarioItemOut(
            ref=sv.ref,
            title=sv.title,
            brief=sv.brief,
            brief_html=exams_service.block_html(sv.brief),
            files=sv.files,
            editable=sv.editable,
            public_checks=sv.public_checks,
            runs_left=sv.runs_left,
            flagged=sv.flagged,
            seq=sv.seq,
            pipeline_command=sv.pipeline_command,
            pipeline_runs_left=sv.pipeline_runs_left,
        )
    view = await service.mcq_view(session, slot, ref)
    return McqItemOut(
        ref=view.ref,
        stem=view.stem,
        stem_html=view.stem_html,
        multiple=view.multiple,
        options=[OptionOut(id=label, text=text, html=html) for label, text, html in view.options],
        answer=view.answer,
        flagged=view.flagged,
        seq=view.seq,
    )


@router.post(
    "/attempts/{attempt_id}/scenarios/{ref}/runs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunQueuedOut,
    responses=responses(
        AttemptNotFound, ItemNotFound, AttemptClosed, AttemptNotStarted, NoRunsLeft
    ),
)
async def request_run(ref: Text, ask: RunRequest) -> RunQueuedOut:
    return RunQueuedOut(run_id=await ask(service.PUBLIC_CHECKS, ref))


@router.get(
    "/attempts/{attempt_id}/scenarios/{ref}/runs/{run_id}",
    response_model=RunOut,
    responses=responses(AttemptNotFound, RunNotFound),
)
async def run_result(
    ref: Text, run_id: uuid.UUID, attempt: OwnedAttempt, session: SessionDep
) -> RunOut:
    view = await service.public_run_view(session, attempt, ref, run_id)
    return RunOut(
        status=view.status,
        checks=[RunCheckOut(name=n, passed=p, message=m) for n, p, m in view.checks],
    )


@router.post(
    "/attempts/{attempt_id}/scenarios/{ref}/pipeline-runs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunQueuedOut,
    responses=responses(
        AttemptNotFound,
        ItemNotFound,
        AttemptClosed,
        AttemptNotStarted,
        NoPipeline,
        NoPipelineRunsLeft,
        ScenarioUnavailable,
    ),
    summary="Run the scenario's pipeline",
    description="Queues a run of the scenario's entry command (`python run.py` or what the "
    "scenario declares) on the candidate's saved files, in the grading sandbox, within the "
    "scenario's run time limit. Counts against the item's own pipeline-run budget "
    "(`pipeline_runs_left`); a run that could not start is not counted. The output is only "
    "shown: it never becomes a verdict.",
)
async def request_pipeline_run(ref: Text, ask: RunRequest) -> RunQueuedOut:
    return RunQueuedOut(run_id=await ask(service.PIPELINE, ref))


@router.get(
    "/attempts/{attempt_id}/scenarios/{ref}/pipeline-runs/{run_id}",
    response_model=PipelineRunOut,
    responses=responses(AttemptNotFound, RunNotFound),
    summary="A pipeline run's output",
)
async def pipeline_run_result(
    ref: Text, run_id: uuid.UUID, attempt: OwnedAttempt, session: SessionDep
) -> PipelineRunOut:
    view = await service.pipeline_run_view(session, attempt, ref, run_id)
    return PipelineRunOut(
        status=view.status,
        command=view.command,
        exit_code=view.exit_code,
        timed_out=view.timed_out,
        stdout=view.stdout,
        stderr=view.stderr,
        truncated=view.truncated,
        duration_ms=view.duration_ms,
    )


@router.post(
    "/attempts/{attempt_id}/submit",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AttemptStateOut,
    responses=responses(AttemptNotFound, AttemptNotStarted),
)
async def submit(
    attempt_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    jobs: PendingJobsDep,
    clock: ClockDep,
    settings: SettingsDep,
    user_id: CurrentUserId,
    review: ReviewPolicyDep,
) -> AttemptStateOut:
    attempt = await service.submit(
        session,
        clock,
        jobs,
        grace=timedelta(seconds=settings.deadline_grace_seconds),
        scenarios=scenario_registry(request),
        review=review,
        user_id=user_id,
        attempt_id=attempt_id,
    )
    return await _state_out(attempt, request, session, clock)


@router.get(
    "/attempts/{attempt_id}/result",
    response_model=ResultOut,
    responses=responses(AttemptNotFound),
)
async def attempt_result(attempt: OwnedAttempt, session: SessionDep) -> ResultOut:
    view = await service.result_view(session, attempt)
    return _result_out(attempt, view)


def _result_out(attempt: Attempt, view: service.ResultView) -> ResultOut:
    return ResultOut(
        status=attempt.status.value,
        score=attempt.score,
        pass_mark=view.pass_mark,
        passed=attempt.passed,
        sections=[
            SectionScoreOut(kind=kind, score=score, weight=weight)
            for kind, score, weight in view.sections
        ],
        certificate_id=view.certificate_id,
        receipt=attempt.receipt,
        grading_delayed=view.grading_delayed,
    )
