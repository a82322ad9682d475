"""Proctoring: what happened during an attempt, what the rules made of it, the review
queue and the decisions on it, and the audit trail.

Other domains call this service (attempts when an attempt starts and is scored, identity
at sign-in, certificates on revocation); it calls none of theirs. The work that needs
attempts, certificates or grading lives in ``flows.py``.

Where the evidence comes from:
- the exam page reports focus lost, tab hidden, paste, copy, fullscreen left and
  reconnects (``record_client_event``: bounded in size, rate and number);
- the server records sign-ins during an attempt, a change of address and two sessions
  at once (``observe``, on the attempt's routes other than autosave), extra time and
  accommodations;
- saves, public-check runs, submission and grading are read from their own tables
  (responses, scenario runs, the attempt) when the timeline is shown.

Flags are computed once the attempt is scored (``assess_at_scoring``) and stored; a
review page of an attempt still running shows the rules that need no submission,
computed on the spot and marked provisional.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.core.clock import Clock
from app.proctoring import audit, signals
from app.proctoring.audit import Actor
from app.proctoring.clients import ClientNotes
from app.proctoring.exceptions import AlreadyDecided, EventLimitReached, ReviewClosed
from app.proctoring.models import (
    Accommodation,
    AttemptClient,
    AttemptEvent,
    AuditEntry,
    Flag,
    Review,
    ReviewState,
    Severity,
    SubmissionFingerprint,
)
from app.proctoring.repository import (
    AuditRepository,
    EventRepository,
    FlagRepository,
    ReviewRepository,
)
from app.proctoring.signals import (
    AnswerFact,
    AttemptFacts,
    EventFact,
    Finding,
    ReviewPolicy,
    SubmissionFact,
)
from app.proctoring.similarity import fingerprint

# How often a client already seen refreshes its last_seen (a write), at most.
CLIENT_REFRESH_SECONDS = 60


def policy_from(settings: Settings) -> ReviewPolicy:
    secret = settings.resolved_secret_key().encode()
    return ReviewPolicy(
        focus_losses_medium=settings.review_focus_losses_medium,
        focus_losses_high=settings.review_focus_losses_high,
        paste_chars_medium=settings.review_paste_chars_medium,
        paste_chars_high=settings.review_paste_chars_high,
        reading_wpm=settings.review_reading_wpm,
        fast_share=settings.review_fast_share,
        ip_changes_medium=settings.review_ip_changes_medium,
        concurrent_seconds=settings.review_concurrent_seconds,
        similarity=settings.review_similarity,
        similarity_min_shingles=settings.review_similarity_min_shingles,
        sample_percent=settings.review_sample_percent,
        sample_key=hmac.new(secret, b"assay review sample v1", hashlib.sha256).digest(),
        events_per_minute=settings.review_events_per_minute,
        events_max=settings.review_events_max,
    )


# --- Evidence ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClientInfo:
    """Where a request on an attempt came from: its address, a hash of the sign-in (the
    token) it carried, and its browser."""

    ip: str
    session_key: str
    user_agent: str


async def record_server_event(
    session: AsyncSession,
    clock: Clock,
    attempt_id: uuid.UUID,
    type_: str,
    data: dict[str, Any] | None = None,
) -> AttemptEvent:
    event = AttemptEvent(
        id=uuid.uuid4(),
        attempt_id=attempt_id,
        source="server",
        type=type_,
        at=clock.now(),
        client_at=None,
        data=data or {},
    )
    await EventRepository(session).add(event)
    return event


async def record_client_event(
    session: AsyncSession,
    clock: Clock,
    policy: ReviewPolicy,
    attempt_id: uuid.UUID,
    type_: str,
    client_at: datetime | None,
    data: dict[str, Any],
) -> AttemptEvent:
    """Stores what the page reported, with the server's time beside the page's claim.
    The event that fills the attempt's allowance also leaves a server-side note of it;
    later ones are refused."""
    repo = EventRepository(session)
    stored = await repo.count_client(attempt_id)
    if stored >= policy.events_max:
        raise EventLimitReached()
    event = AttemptEvent(
        id=uuid.uuid4(),
        attempt_id=attempt_id,
        source="client",
        type=type_,
        at=clock.now(),
        client_at=client_at,
        data=data,
    )
    await repo.add(event)
    if stored + 1 == policy.events_max:
        await record_server_event(
            session, clock, attempt_id, "event_limit_reached", {"limit": policy.events_max}
        )
    return event


async def observe(
    session: AsyncSession,
    clock: Clock,
    policy: ReviewPolicy,
    attempt_id: uuid.UUID,
    client: ClientInfo,
    notes: ClientNotes | None = None,
) -> None:
    """Notes the client working on a running attempt. A new address for a sign-in
    already seen is an ``ip_changed`` event; a new sign-in while another was seen
    within the concurrency window is ``concurrent_session`` (and, from elsewhere,
    ``ip_changed`` too). With ``notes`` (the exam page's clock sync), the common cases
    are cheap: see clients.py."""
    repo = EventRepository(session)
    now = clock.now()
    if notes is not None:
        if notes.fresh(attempt_id, client.session_key, client.ip, now):
            return
        if await notes.note_first(
            attempt_id, client.session_key, client.ip, client.user_agent[:200], now
        ):
            return
    known = list(await repo.clients(attempt_id))
    mine = next((c for c in known if c.session_key == client.session_key), None)
    if mine is not None:
        if notes is not None and mine.ip == client.ip:
            notes.remember(attempt_id, mine.session_key, mine.ip, mine.last_seen)
        if mine.ip != client.ip:
            await record_server_event(
                session,
                clock,
                attempt_id,
                "ip_changed",
                {"from": mine.ip, "to": client.ip, "same_session": True},
            )
            mine.ip = client.ip
            mine.last_seen = now
            await session.flush()
        elif (now - mine.last_seen).total_seconds() >= CLIENT_REFRESH_SECONDS:
            mine.last_seen = now
            await session.flush()
        return
    latest = known[0] if known else None
    added = await repo.add_client(
        AttemptClient(
            attempt_id=attempt_id,
            session_key=client.session_key,
            ip=client.ip,
            user_agent=client.user_agent[:200],
            first_seen=now,
            last_seen=now,
        )
    )
    # Not added: a concurrent request of this sign-in was first, and notes what follows.
    if not added or latest is None:
        return
    if (now - latest.last_seen).total_seconds() <= policy.concurrent_seconds:
        await record_server_event(
            session,
            clock,
            attempt_id,
            "concurrent_session",
            {
                "ip": client.ip,
                "other_ip": latest.ip,
                "user_agent": client.user_agent[:200],
                "other_user_agent": latest.user_agent,
                "other_last_seen": latest.last_seen.isoformat(),
            },
        )
    if latest.ip != client.ip:
        await record_server_event(
            session,
            clock,
            attempt_id,
            "ip_changed",
            {"from": latest.ip, "to": client.ip, "same_session": False},
        )


async def record_login(
    session: AsyncSession,
    clock: Clock,
    attempt_ids: Sequence[uuid.UUID],
    client: ClientInfo,
    *,
    via: str,
) -> None:
    """A sign-in by a candidate with attempts running: noted on each of them."""
    for attempt_id in attempt_ids:
        await record_server_event(
            session,
            clock,
            attempt_id,
            "login",
            {"ip": client.ip, "user_agent": client.user_agent[:200], "via": via},
        )


async def events_of(session: AsyncSession, attempt_id: uuid.UUID) -> Sequence[AttemptEvent]:
    return await EventRepository(session).of_attempt(attempt_id)


async def clients_of(session: AsyncSession, attempt_id: uuid.UUID) -> Sequence[AttemptClient]:
    return await EventRepository(session).clients(attempt_id)


def _facts(events: Sequence[AttemptEvent]) -> list[EventFact]:
    return [EventFact(e.source, e.type, e.at, e.data) for e in events]


# --- Accommodations -----------------------------------------------------------------


async def extra_minutes_for(session: AsyncSession, user_id: uuid.UUID, exam_code: str) -> int:
    """The standing accommodation for this candidate at this exam, applied at start."""
    found = await ReviewRepository(session).accommodation(user_id, exam_code)
    return found.extra_minutes if found is not None else 0


async def accommodate(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    *,
    user_id: uuid.UUID,
    exam_code: str,
    extra_minutes: int,
    reason: str,
) -> Accommodation:
    repo = ReviewRepository(session)
    accommodation = await repo.accommodation(user_id, exam_code)
    previous = accommodation.extra_minutes if accommodation is not None else 0
    if accommodation is None:
        accommodation = Accommodation(
            id=uuid.uuid4(),
            user_id=user_id,
            exam_code=exam_code,
            extra_minutes=extra_minutes,
            reason=reason,
            granted_by=actor.id,
            granted_at=clock.now(),
        )
        await repo.add_accommodation(accommodation)
    else:
        accommodation.extra_minutes = extra_minutes
        accommodation.reason = reason
        accommodation.granted_by = actor.id
        accommodation.granted_at = clock.now()
        await session.flush()
    await audit.append(
        session,
        clock,
        actor,
        "accommodation",
        subject=f"user:{user_id}",
        details={
            "exam_code": exam_code,
            "extra_minutes": extra_minutes,
            "previous_minutes": previous,
            "reason": reason,
        },
    )
    return accommodation


async def record_extra_time(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    *,
    attempt_id: uuid.UUID,
    minutes: int,
    reason: str,
    deadline_at: datetime,
) -> None:
    await record_server_event(
        session,
        clock,
        attempt_id,
        "extra_time",
        {"minutes": minutes, "reason": reason, "by": actor.label},
    )
    await audit.append(
        session,
        clock,
        actor,
        "extra_time",
        subject=f"attempt:{attempt_id}",
        attempt_id=attempt_id,
        details={"minutes": minutes, "reason": reason, "deadline_at": deadline_at.isoformat()},
    )


async def record_revocation(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    *,
    certificate_id: str,
    reason: str,
    attempt_id: uuid.UUID | None = None,
) -> None:
    await audit.append(
        session,
        clock,
        actor,
        "certificate_revoked",
        subject=f"certificate:{certificate_id}",
        attempt_id=attempt_id,
        details={"reason": reason},
    )


async def audit_of(session: AsyncSession, attempt_id: uuid.UUID) -> Sequence[AuditEntry]:
    return await AuditRepository(session).of_attempt(attempt_id)


# --- Assessment at scoring ------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioWork:
    """A scenario as submitted: the candidate's files, and what is expected in them
    anyway (the workspace's and the reference solution's texts)."""

    ref: str
    scenario_id: str
    files: dict[str, str]
    expected: tuple[str, ...]


@dataclass(frozen=True)
class ScoredAttempt:
    attempt_id: uuid.UUID
    user_id: uuid.UUID
    exam_code: str
    started_at: datetime
    passed: bool
    answers: Sequence[AnswerFact]
    scenarios: Sequence[ScenarioWork]


async def assess_at_scoring(
    session: AsyncSession, clock: Clock, policy: ReviewPolicy, scored: ScoredAttempt
) -> bool:
    """Runs every rule on the finished attempt, stores the flags, puts the attempt in
    the queue if it is flagged, sampled or held, and says whether its certificate must
    wait for a proctor: a pass with a high flag, a sampled pass, or a proctor's hold."""
    flags = FlagRepository(session)
    now = clock.now()
    submissions = []
    for work in (w for w in scored.scenarios if w.files):
        shingles = fingerprint(work.files, work.expected)
        if await flags.fingerprint(scored.attempt_id, work.ref) is None:
            await flags.add_fingerprint(
                SubmissionFingerprint(
                    attempt_id=scored.attempt_id,
                    ref=work.ref,
                    user_id=scored.user_id,
                    exam_code=scored.exam_code,
                    scenario_id=work.scenario_id,
                    shingles=sorted(shingles),
                    created_at=now,
                )
            )
        submissions.append(
            SubmissionFact(scored.attempt_id, scored.user_id, work.ref, work.scenario_id, shingles)
        )
    peers = [
        SubmissionFact(p.attempt_id, p.user_id, p.ref, p.scenario_id, frozenset(p.shingles))
        for p in await flags.fingerprints_like(
            scored.exam_code, sorted({s.scenario_id for s in submissions}), scored.attempt_id
        )
    ]
    facts = AttemptFacts(
        attempt_id=scored.attempt_id,
        user_id=scored.user_id,
        exam_code=scored.exam_code,
        started_at=scored.started_at,
        answers=scored.answers,
        scenario_refs=frozenset(w.ref for w in scored.scenarios),
        submissions=submissions,
    )
    events = _facts(await EventRepository(session).of_attempt(scored.attempt_id))
    findings = signals.assess(facts, events, peers, policy)
    await _store(session, clock, scored.attempt_id, findings)
    # The other side of a similar pair learns of it too (its certificate is not touched:
    # a flag is evidence for a person to weigh).
    by_id = {(p.attempt_id, p.ref): p for p in peers}
    for finding in findings:
        if finding.rule != "similar_submission":
            continue
        peer = by_id[(uuid.UUID(finding.evidence["peer_attempt_id"]), finding.evidence["peer_ref"])]
        mine = next(s for s in submissions if s.ref == finding.evidence["ref"])
        mirrored = signals.similar_finding(peer, mine, finding.evidence["similarity"])
        await _store(session, clock, peer.attempt_id, [mirrored])
        await _enqueue(session, clock, peer.attempt_id, peer.user_id, scored.exam_code, "flagged")

    review = await ReviewRepository(session).get(scored.attempt_id, for_update=True)
    high = signals.highest(findings) == Severity.high
    sample = (
        not findings
        and scored.passed
        and signals.sampled(scored.attempt_id, policy.sample_percent, policy.sample_key)
    )
    if findings or sample or review is not None:
        because = "flagged" if findings else "sampled" if sample else "held"
        review = await _enqueue(
            session, clock, scored.attempt_id, scored.user_id, scored.exam_code, because
        )
        if scored.passed and (high or sample) and review.state == ReviewState.pending:
            review.hold = True
            await session.flush()
    if review is None:
        return False
    if review.state == ReviewState.invalidated:
        return True
    return scored.passed and review.hold and review.state == ReviewState.pending


async def _store(
    session: AsyncSession, clock: Clock, attempt_id: uuid.UUID, findings: Sequence[Finding]
) -> None:
    repo = FlagRepository(session)
    existing = {(f.rule, f.key) for f in await repo.of_attempt(attempt_id)}
    for finding in findings:
        if (finding.rule, finding.key) in existing:
            continue
        await repo.add(
            Flag(
                id=uuid.uuid4(),
                attempt_id=attempt_id,
                rule=finding.rule,
                key=finding.key,
                severity=finding.severity,
                reason=finding.reason,
                evidence=finding.evidence,
                created_at=clock.now(),
            )
        )


async def _enqueue(
    session: AsyncSession,
    clock: Clock,
    attempt_id: uuid.UUID,
    user_id: uuid.UUID,
    exam_code: str,
    because: str,
) -> Review:
    """The attempt's place in the queue, created or brought up to date with its flags.
    New evidence reopens an approved review; an invalidation stands."""
    repo = ReviewRepository(session)
    review = await repo.get(attempt_id, for_update=True)
    flags = await FlagRepository(session).of_attempt(attempt_id)
    top = max((f.severity for f in flags), key=lambda s: s.rank, default=None)
    if review is None:
        review = Review(
            attempt_id=attempt_id,
            user_id=user_id,
            exam_code=exam_code,
            state=ReviewState.pending,
            hold=False,
            queued_because=because,
            queued_at=clock.now(),
            severity=top,
            severity_rank=top.rank if top else 0,
            flag_count=len(flags),
        )
        await repo.add(review)
        return review
    if len(flags) > review.flag_count and review.state == ReviewState.approved:
        review.state = ReviewState.pending
        review.queued_because = "flagged"
    review.severity = top
    review.severity_rank = top.rank if top else 0
    review.flag_count = len(flags)
    await session.flush()
    return review


async def flags_of(session: AsyncSession, attempt_id: uuid.UUID) -> Sequence[Flag]:
    return await FlagRepository(session).of_attempt(attempt_id)


async def live_findings(
    session: AsyncSession,
    policy: ReviewPolicy,
    attempt_id: uuid.UUID,
    scenario_refs: frozenset[str],
) -> list[Finding]:
    events = _facts(await EventRepository(session).of_attempt(attempt_id))
    return signals.live_findings(events, scenario_refs, policy)


# --- Queue and decisions --------------------------------------------------------------

QUEUE_STATES = {
    "pending": (ReviewState.pending,),
    "approved": (ReviewState.approved,),
    "invalidated": (ReviewState.invalidated,),
    "all": tuple(ReviewState),
}


async def queue(
    session: AsyncSession, status: str, *, reviewer_id: uuid.UUID, limit: int
) -> Sequence[Review]:
    """The queue as one reviewer sees it: their own attempts left out."""
    return await ReviewRepository(session).queue(
        QUEUE_STATES[status], exclude_user=reviewer_id, limit=limit
    )


async def review_of(
    session: AsyncSession, attempt_id: uuid.UUID, *, for_update: bool = False
) -> Review | None:
    return await ReviewRepository(session).get(attempt_id, for_update=for_update)


@dataclass(frozen=True)
class Subject:
    """The attempt a decision is about."""

    attempt_id: uuid.UUID
    user_id: uuid.UUID
    exam_code: str


def check_decision(review: Review | None, decision: str) -> None:
    """Refuses a decision the review's state does not allow, before anything changes."""
    if review is None:
        return
    if review.state == ReviewState.invalidated:
        raise ReviewClosed()
    if decision == "approve" and review.state == ReviewState.approved:
        raise AlreadyDecided("This attempt is already approved.")
    if decision == "hold" and review.state == ReviewState.approved:
        raise AlreadyDecided("This attempt is approved; invalidate it instead.")
    if decision == "hold" and review.hold and review.state == ReviewState.pending:
        raise AlreadyDecided("This attempt is already on hold.")


async def decide(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    subject: Subject,
    decision: str,
    reason: str,
    *,
    certificates: dict[str, Any],
) -> Review:
    """Records a decision (hold, approve, invalidate) on the review and in the audit
    trail. ``certificates`` says what it did to certificates (issued, revoked), for
    the record; the flow that called this did that work."""
    review = await review_of(session, subject.attempt_id, for_update=True)
    check_decision(review, decision)
    previous = review.state.value if review is not None else None
    if review is None:
        review = await _enqueue(
            session, clock, subject.attempt_id, subject.user_id, subject.exam_code, "held"
        )
    review.state = {
        "hold": ReviewState.pending,
        "approve": ReviewState.approved,
        "invalidate": ReviewState.invalidated,
    }[decision]
    # An invalidated attempt never gets a certificate: it stays on hold for good.
    review.hold = decision in ("hold", "invalidate")
    review.decided_at = clock.now()
    review.decided_by = actor.id
    review.decision_reason = reason
    await session.flush()
    await audit.append(
        session,
        clock,
        actor,
        f"decision_{decision}",
        subject=f"attempt:{subject.attempt_id}",
        attempt_id=subject.attempt_id,
        details={"reason": reason, "previous_state": previous, **certificates},
    )
    return review
