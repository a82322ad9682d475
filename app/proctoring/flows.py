"""Orchestrations that span proctoring and the domains it reviews. They live apart from
``proctoring.service`` because attempts calls that service (at start and at scoring):
importing attempts from it would close a cycle (as in ``certificates/flows.py``)."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts import service as attempts_service
from app.attempts.exceptions import AttemptClosed
from app.attempts.models import Attempt, AttemptStatus
from app.certificates import service as certificates_service
from app.certificates.lookup import CertificateLookup
from app.core.clock import Clock
from app.exams import service as exams_service
from app.grading import pipeline_runs
from app.grading import service as grading_service
from app.grading.corrections import CheckCorrections, CheckVerdict, check_verdicts, corrected_score
from app.grading.models import PipelineRun, ScenarioRun
from app.grading.pipeline import command_line
from app.grading.scenarios import Scenario
from app.identity import service as identity_service
from app.identity.models import User
from app.proctoring import service as proctoring_service
from app.proctoring.audit import Actor
from app.proctoring.exceptions import (
    AttemptNotFinished,
    CandidateNotFound,
    CertificateAlreadyIssued,
    OwnAttempt,
)
from app.proctoring.models import Accommodation, AttemptEvent, Review, Severity
from app.proctoring.service import ClientInfo
from app.proctoring.signals import ReviewPolicy, duration
from app.regrading import service as regrading_service
from app.regrading.models import Regrade

FINISHED = (AttemptStatus.scored, AttemptStatus.under_review)
RUNNING = (AttemptStatus.in_progress, AttemptStatus.submitted, AttemptStatus.grading)


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.email)


# --- Evidence from the candidate's side --------------------------------------------


async def report_event(
    session: AsyncSession,
    clock: Clock,
    policy: ReviewPolicy,
    *,
    user_id: uuid.UUID,
    attempt_id: uuid.UUID,
    client: ClientInfo,
    grace: timedelta,
    type_: str,
    client_at: datetime | None,
    data: dict[str, Any],
) -> AttemptEvent:
    """An event the exam page reports, on the candidate's own running attempt."""
    attempt = await attempts_service.owned_attempt(session, user_id, attempt_id)
    if attempt.status != AttemptStatus.in_progress or attempt.deadline_at + grace <= clock.now():
        raise AttemptClosed()
    await proctoring_service.observe(session, clock, policy, attempt.id, client)
    return await proctoring_service.record_client_event(
        session, clock, policy, attempt.id, type_, client_at, data
    )


async def record_login(
    session: AsyncSession, clock: Clock, user_id: uuid.UUID, client: ClientInfo, *, via: str
) -> None:
    running = await attempts_service.running_attempt_ids(session, user_id)
    if running:
        await proctoring_service.record_login(session, clock, running, client, via=via)


# --- The queue -------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    review: Review
    attempt: Attempt
    candidate: User


async def queue(
    session: AsyncSession, reviewer: User, status: str, *, limit: int
) -> list[QueueEntry]:
    reviews = await proctoring_service.queue(session, status, reviewer_id=reviewer.id, limit=limit)
    attempts = await attempts_service.attempts_by_id(session, [r.attempt_id for r in reviews])
    users = await identity_service.users_by_id(session, list({r.user_id for r in reviews}))
    return [
        QueueEntry(r, attempts[r.attempt_id], users[r.user_id])
        for r in reviews
        if r.attempt_id in attempts and r.user_id in users
    ]


@dataclass(frozen=True)
class StuckGrading:
    run: ScenarioRun
    attempt: Attempt


async def stuck_gradings(session: AsyncSession, *, limit: int) -> list[StuckGrading]:
    """Final gradings given up after every try (the candidate sees "grading delayed"),
    oldest first: for proctors and admins to follow up."""
    runs = await grading_service.stuck_final_runs(session, limit)
    attempts = await attempts_service.attempts_by_id(session, list({r.attempt_id for r in runs}))
    return [StuckGrading(r, attempts[r.attempt_id]) for r in runs if r.attempt_id in attempts]


# --- One attempt, for review ----------------------------------------------------------------


@dataclass(frozen=True)
class FlagView:
    id: uuid.UUID | None
    rule: str
    severity: Severity
    reason: str
    evidence: dict[str, Any]
    created_at: datetime | None
    provisional: bool


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # started, event, save, run, submitted, grading, scored, flag, decision
    type: str
    summary: str
    source: str = "server"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FileDiff:
    path: str
    diff: str


@dataclass(frozen=True)
class ScenarioChanges:
    ref: str
    scenario_id: str
    title: str
    files: list[FileDiff]


@dataclass(frozen=True)
class CheckReview:
    """A check's verdict as graded and under the correction in force, with the regrade
    that put the correction in force."""

    verdict: CheckVerdict
    regrade_id: uuid.UUID | None = None
    regrade_reason: str | None = None


@dataclass(frozen=True)
class GradingRecord:
    ref: str
    scenario_id: str
    status: str
    score: float | None
    finished_at: datetime | None
    record: dict[str, Any]
    # The receipt of the answers as closed, which this final grading graded.
    receipt: str | None = None
    # The score the attempt's result counts: under the check corrections in force.
    corrected_score: float | None = None
    checks: list[CheckReview] = field(default_factory=list)


@dataclass(frozen=True)
class SidePair:
    path: str
    this: str | None
    other: str | None


@dataclass(frozen=True)
class SimilarPair:
    flag_id: uuid.UUID | None
    ref: str
    scenario_id: str
    similarity: float
    other_attempt_id: uuid.UUID
    other_candidate: User | None
    files: list[SidePair]


@dataclass(frozen=True)
class ReviewDetail:
    attempt: Attempt
    candidate: User
    exam_title: str
    pass_mark: float
    review: Review | None
    flags: list[FlagView]
    timeline: list[TimelineEntry]
    scenarios: list[ScenarioChanges]
    grading: list[GradingRecord]
    similar: list[SimilarPair]
    certificate_id: str | None
    decided_by: User | None


async def reviewable_attempt(
    session: AsyncSession, reviewer: User, attempt_id: uuid.UUID, *, for_update: bool = False
) -> Attempt:
    """The attempt, unless it is unknown (404) or the reviewer's own (403)."""
    attempt = await attempts_service.get_attempt(session, attempt_id, for_update=for_update)
    if attempt.user_id == reviewer.id:
        raise OwnAttempt()
    return attempt


async def detail(
    session: AsyncSession,
    policy: ReviewPolicy,
    scenarios: Mapping[str, Scenario],
    reviewer: User,
    attempt_id: uuid.UUID,
) -> ReviewDetail:
    """The timeline (events, saves, runs, grading, flags, decisions merged in time order),
    the flags with their evidence, the scenario changes as unified diffs against the
    workspace given, the grading record and any similar pair side by side."""
    attempt = await reviewable_attempt(session, reviewer, attempt_id)
    view = await attempts_service.attempt_view(session, attempt, scenarios)
    exam = await exams_service.get_exam_version(session, attempt.exam_version_id)
    candidate = await identity_service.get_user(session, attempt.user_id)
    assert candidate is not None
    review = await proctoring_service.review_of(session, attempt.id)
    runs = await grading_service.runs_of(session, attempt.id)
    finals = {r.ref: r for r in runs if r.kind == "final"}
    scenario_refs = frozenset(i.ref for i in view.items if i.kind == "scenario")

    flags = [
        FlagView(f.id, f.rule, f.severity, f.reason, f.evidence, f.created_at, False)
        for f in await proctoring_service.flags_of(session, attempt.id)
    ]
    if attempt.status in RUNNING:
        stored = {f.rule for f in flags}
        flags += [
            FlagView(None, f.rule, f.severity, f.reason, f.evidence, None, True)
            for f in await proctoring_service.live_findings(
                session, policy, attempt.id, scenario_refs
            )
            if f.rule not in stored
        ]
    flags.sort(key=lambda f: (-f.severity.rank, f.rule))

    changes = []
    for item in view.items:
        if item.kind != "scenario":
            continue
        scenario = attempts_service.scenario_variant(scenarios, item)
        workspace = scenario.workspace_files if scenario else {}
        submitted = _submitted_files(finals.get(item.ref), view.responses.get(item.ref))
        changes.append(
            ScenarioChanges(
                ref=item.ref,
                scenario_id=item.scenario_id or "",
                title=scenario.title if scenario else (item.scenario_id or ""),
                files=_diffs(workspace, submitted),
            )
        )

    similar = []
    for flag in flags:
        if flag.rule != "similar_submission":
            continue
        similar.append(await _pair(session, scenarios, attempt, view.responses, finals, flag))

    certificate = await certificates_service.certificate_for_attempt(session, attempt.id)
    decided_by = None
    if review is not None and review.decided_by is not None:
        decided_by = await identity_service.get_user(session, review.decided_by)
    return ReviewDetail(
        attempt=attempt,
        candidate=candidate,
        exam_title=exam.title,
        pass_mark=exam.pass_mark,
        review=review,
        flags=flags,
        timeline=await _timeline(session, attempt, view, runs, flags),
        scenarios=changes,
        grading=await _grading(session, attempt, list(finals.values())),
        similar=similar,
        certificate_id=(
            certificates_service.display_id(certificate.public_id) if certificate else None
        ),
        decided_by=decided_by,
    )


async def _grading(
    session: AsyncSession, attempt: Attempt, finals: Sequence[ScenarioRun]
) -> list[GradingRecord]:
    """The final gradings as stored, each check's verdict and the scenario's score under
    the check corrections in force (what the attempt's result counts)."""
    corrections = await grading_service.check_corrections(session)
    regrades = await regrading_service.check_regrades_in_force(
        session, sorted({r.scenario_id for r in finals})
    )
    return [
        GradingRecord(
            r.ref,
            r.scenario_id,
            r.status,
            r.score,
            r.finished_at,
            r.record or {},
            attempt.receipt,
            corrected_score=_corrected_score(r, corrections),
            checks=[
                _check_review(v, regrades.get((r.scenario_id, v.name)))
                for v in check_verdicts(r.record, r.scenario_id, r.scenario_version, corrections)
            ],
        )
        for r in finals
    ]


def _corrected_score(run: ScenarioRun, corrections: CheckCorrections) -> float | None:
    if run.status != "done" or run.score is None:
        return None
    return float(
        corrected_score(run.record, run.score, run.scenario_id, run.scenario_version, corrections)
    )


def _check_review(verdict: CheckVerdict, regrade: Regrade | None) -> CheckReview:
    if verdict.change is None or regrade is None:
        return CheckReview(verdict)
    return CheckReview(verdict, regrade.id, regrade.reason)


def _submitted_files(final: ScenarioRun | None, response: Any) -> dict[str, str]:
    """What was graded (the final run's files), else the latest save."""
    if final is not None:
        return {str(k): str(v) for k, v in final.files.items()}
    if response is not None and response.files:
        return {str(k): str(v) for k, v in response.files.items()}
    return {}


def unified_diff(path: str, before: str | None, after: str) -> str:
    lines = difflib.unified_diff(
        (before or "").splitlines(),
        after.splitlines(),
        fromfile=f"workspace/{path}" if before is not None else "/dev/null",
        tofile=f"submitted/{path}",
        lineterm="",
    )
    return "\n".join(lines)


def _diffs(workspace: Mapping[str, str], submitted: Mapping[str, str]) -> list[FileDiff]:
    return [
        FileDiff(path, unified_diff(path, workspace.get(path), text))
        for path, text in sorted(submitted.items())
        if workspace.get(path) != text
    ]


async def _pair(
    session: AsyncSession,
    scenarios: Mapping[str, Scenario],
    attempt: Attempt,
    responses: Mapping[str, Any],
    finals: Mapping[str, ScenarioRun],
    flag: FlagView,
) -> SimilarPair:
    ref = str(flag.evidence.get("ref", ""))
    peer_id = uuid.UUID(str(flag.evidence["peer_attempt_id"]))
    peer_ref = str(flag.evidence.get("peer_ref", ""))
    scenario = scenarios.get(str(flag.evidence.get("scenario_id", "")))
    workspace = scenario.workspace_files if scenario else {}
    mine = _submitted_files(finals.get(ref), responses.get(ref))
    peer_runs = await grading_service.runs_of(session, peer_id)
    peer_final = next((r for r in peer_runs if r.kind == "final" and r.ref == peer_ref), None)
    theirs = _submitted_files(peer_final, None)
    peer_attempt = (await attempts_service.attempts_by_id(session, [peer_id])).get(peer_id)
    other = await identity_service.get_user(session, peer_attempt.user_id) if peer_attempt else None
    paths = sorted(
        p
        for p in set(mine) | set(theirs)
        if mine.get(p) != workspace.get(p) or theirs.get(p) != workspace.get(p)
    )
    return SimilarPair(
        flag_id=flag.id,
        ref=ref,
        scenario_id=str(flag.evidence.get("scenario_id", "")),
        similarity=float(flag.evidence.get("similarity", 0)),
        other_attempt_id=peer_id,
        other_candidate=other,
        files=[SidePair(p, mine.get(p), theirs.get(p)) for p in paths],
    )


_EVENT_WORDS = {
    "focus_lost": "The exam window lost focus",
    "tab_hidden": "The exam tab was hidden",
    "paste": "Pasted",
    "copy": "Copied",
    "fullscreen_left": "Left full screen",
    "reconnect": "Reconnected after being offline",
    "login": "Signed in",
    "ip_changed": "The network address changed",
    "concurrent_session": "A second sign-in worked on the attempt at the same time",
    "extra_time": "Extra time granted",
    "outage_credit": "Time credited for a service outage",
    "accommodation_applied": "Accommodation applied at start",
    "event_limit_reached": "The page reached the limit of events kept",
}


def describe_event(event: AttemptEvent) -> str:
    words = _EVENT_WORDS.get(event.type, event.type.replace("_", " ").capitalize())
    data = event.data
    if event.type in ("paste", "copy"):
        where = f" into {data['path']}" if data.get("path") else ""
        ref = f" ({data['ref']})" if data.get("ref") else ""
        return f"{words} {data.get('length', '?')} characters{where}{ref}"
    if event.type == "ip_changed":
        return f"{words}: {data.get('from')} → {data.get('to')}"
    if event.type == "login":
        return f"{words} from {data.get('ip')} ({data.get('via', 'api')})"
    if event.type == "concurrent_session":
        return f"{words}: {data.get('ip')} while {data.get('other_ip')} was active"
    if event.type == "extra_time":
        return f"{words}: {data.get('minutes')} minutes by {data.get('by')} ({data.get('reason')})"
    if event.type == "outage_credit":
        return (
            f"{words} ({data.get('kind')}, {data.get('from')} to {data.get('to')}):"
            f" {duration(int(data.get('seconds') or 0))}"
        )
    if event.type == "accommodation_applied":
        return f"{words}: {data.get('minutes')} extra minutes"
    if event.type == "reconnect" and isinstance(data.get("offline_seconds"), int):
        return f"{words} for {duration(data['offline_seconds'])}"
    return str(words)


def _pipeline_outcome(run: PipelineRun) -> str:
    if run.status != "done":
        return "could not start (not counted)" if run.status == "error" else run.status
    if run.timed_out:
        return "stopped at the time limit"
    cut = ", output cut" if run.truncated else ""
    return f"exit {run.exit_code} in {run.duration_ms} ms{cut}"


async def _timeline(
    session: AsyncSession,
    attempt: Attempt,
    view: attempts_service.AttemptView,
    runs: Sequence[ScenarioRun],
    flags: Sequence[FlagView],
) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            attempt.started_at,
            "started",
            "started",
            f"Attempt started; deadline {attempt.deadline_at:%H:%M:%S} UTC",
        )
    ]
    for event in await proctoring_service.events_of(session, attempt.id):
        shown = dict(event.data)
        if event.client_at is not None:
            shown["client_at"] = event.client_at.isoformat()
        entries.append(
            TimelineEntry(event.at, "event", event.type, describe_event(event), event.source, shown)
        )
    kinds = {i.ref: i.kind for i in view.items}
    for ref, response in view.responses.items():
        if kinds.get(ref) == "scenario":
            what = f"files {', '.join(sorted(response.files or {})) or '(none)'}"
            data: dict[str, Any] = {
                "ref": ref,
                "seq": response.seq,
                "files": sorted(response.files or {}),
            }
        else:
            what = f"answer {', '.join(response.choices or []) or '(none)'}"
            data = {"ref": ref, "seq": response.seq, "choices": list(response.choices or [])}
        flagged = ", flagged for review" if response.flagged else ""
        entries.append(
            TimelineEntry(
                response.saved_at,
                "save",
                "save",
                f"Last save of {ref}: {what} (seq {response.seq}){flagged}",
                "server",
                data,
            )
        )
    for run in runs:
        checks: list[dict[str, Any]] = list((run.record or {}).get("checks", []))
        passed = sum(1 for c in checks if c.get("passed"))
        if run.kind == "public":
            public = [c for c in checks if c.get("public")]
            outcome = (
                f"{sum(1 for c in public if c.get('passed'))} of {len(public)} passed"
                if run.status == "done"
                else run.status
            )
            entries.append(
                TimelineEntry(
                    run.created_at,
                    "run",
                    "public_run",
                    f"Public checks run on {run.ref}: {outcome}",
                    "server",
                    {"ref": run.ref, "run_id": str(run.id), "status": run.status},
                )
            )
        else:
            score = "" if run.score is None else f", score {round(run.score * 100, 1)}%"
            entries.append(
                TimelineEntry(
                    run.finished_at or run.created_at,
                    "grading",
                    "final_grading",
                    f"Hidden grading of {run.ref}: {run.status}, {passed} of {len(checks)} "
                    f"checks passed{score}",
                    "server",
                    {"ref": run.ref, "run_id": str(run.id), "status": run.status},
                )
            )
    for prun in await pipeline_runs.pipeline_runs_of(session, attempt.id):
        entries.append(
            TimelineEntry(
                prun.created_at,
                "run",
                "pipeline_run",
                f"Pipeline run on {prun.ref} ({command_line(tuple(prun.entry))}): "
                f"{_pipeline_outcome(prun)}",
                "server",
                {"ref": prun.ref, "run_id": str(prun.id), "status": prun.status},
            )
        )
    if attempt.submitted_at is not None:
        by = "by the candidate" if attempt.submitted_by == "candidate" else "at the deadline"
        entries.append(
            TimelineEntry(attempt.submitted_at, "submitted", "submitted", f"Submitted {by}")
        )
    if attempt.scored_at is not None and attempt.score is not None:
        verdict = "passed" if attempt.passed else "not passed"
        entries.append(
            TimelineEntry(
                attempt.scored_at,
                "scored",
                "scored",
                f"Scored {round(attempt.score * 100, 1)}%: {verdict}",
            )
        )
    for flag in flags:
        if flag.created_at is not None:
            entries.append(
                TimelineEntry(
                    flag.created_at,
                    "flag",
                    flag.rule,
                    f"Flag ({flag.severity.value}): {flag.reason}",
                )
            )
    for entry in await proctoring_service.audit_of(session, attempt.id):
        reason = entry.details.get("reason", "")
        entries.append(
            TimelineEntry(
                entry.at,
                "decision",
                entry.action,
                f"{entry.action.replace('_', ' ').capitalize()} by {entry.actor}: {reason}",
                "server",
                {"audit_seq": entry.seq},
            )
        )
    order = {
        k: i
        for i, k in enumerate(
            (
                "started",
                "event",
                "save",
                "run",
                "submitted",
                "grading",
                "scored",
                "flag",
                "decision",
            )
        )
    }
    entries.sort(key=lambda e: (e.at, order.get(e.kind, 99)))
    return entries


# --- Decisions, extra time, accommodations ----------------------------------------------------


@dataclass(frozen=True)
class DecisionOutcome:
    review: Review
    attempt: Attempt
    issued: str | None
    revoked: list[str]


async def decide(
    session: AsyncSession,
    clock: Clock,
    reviewer: User,
    attempt_id: uuid.UUID,
    decision: str,
    reason: str,
    *,
    lookup: CertificateLookup | None,
) -> DecisionOutcome:
    """Hold stops a certificate being issued until approval; approve issues a held pass's
    certificate now; invalidate revokes every certificate the attempt produced (the
    reason shows on verification). Each is one entry in the audit trail."""
    attempt = await reviewable_attempt(session, reviewer, attempt_id, for_update=True)
    review = await proctoring_service.review_of(session, attempt.id, for_update=True)
    proctoring_service.check_decision(review, decision)
    issued: str | None = None
    revoked: list[str] = []
    if decision == "hold":
        if await certificates_service.certificate_for_attempt(session, attempt.id) is not None:
            raise CertificateAlreadyIssued()
    elif attempt.status not in FINISHED:
        raise AttemptNotFinished()
    elif decision == "approve":
        certificate = await attempts_service.release_review(session, clock, attempt, issue=True)
        issued = certificates_service.display_id(certificate.public_id) if certificate else None
    else:
        await attempts_service.release_review(session, clock, attempt, issue=False)
        for certificate in await certificates_service.revoke_from_attempt(
            session, clock, attempt.id, reason, lookup=lookup
        ):
            shown = certificates_service.display_id(certificate.public_id)
            revoked.append(shown)
            await proctoring_service.record_revocation(
                session,
                clock,
                actor_of(reviewer),
                certificate_id=shown,
                reason=reason,
                attempt_id=attempt.id,
            )
    review = await proctoring_service.decide(
        session,
        clock,
        actor_of(reviewer),
        proctoring_service.Subject(attempt.id, attempt.user_id, attempt.exam_code),
        decision,
        reason,
        certificates={"issued": issued, "revoked": revoked},
    )
    return DecisionOutcome(review, attempt, issued, revoked)


async def grant_extra_time(
    session: AsyncSession,
    clock: Clock,
    reviewer: User,
    attempt_id: uuid.UUID,
    minutes: int,
    reason: str,
    *,
    grace: timedelta,
) -> Attempt:
    attempt = await reviewable_attempt(session, reviewer, attempt_id, for_update=True)
    await attempts_service.extend_deadline(session, clock, attempt, minutes, grace=grace)
    await proctoring_service.record_extra_time(
        session,
        clock,
        actor_of(reviewer),
        attempt_id=attempt.id,
        minutes=minutes,
        reason=reason,
        deadline_at=attempt.deadline_at,
    )
    return attempt


async def accommodate(
    session: AsyncSession,
    clock: Clock,
    reviewer: User,
    *,
    user_id: uuid.UUID | None,
    email: str | None,
    exam_code: str,
    extra_minutes: int,
    reason: str,
) -> Accommodation:
    candidate = None
    if user_id is not None:
        candidate = await identity_service.get_user(session, user_id)
    elif email:
        candidate = await identity_service.find_user(session, email)
    if candidate is None:
        raise CandidateNotFound()
    if candidate.id == reviewer.id:
        raise OwnAttempt()
    exam = await exams_service.get_exam(session, exam_code)
    return await proctoring_service.accommodate(
        session,
        clock,
        actor_of(reviewer),
        user_id=candidate.id,
        exam_code=exam.code,
        extra_minutes=extra_minutes,
        reason=reason,
    )
