"""Regrading: an author proposes a correction to a delivered item's key or to a delivered
scenario's hidden check, anyone who may see it previews its impact, an admin applies it
with a reason.

    proposed --apply (admin, reason)--> applying --the job's last batch--> applied

Applying puts the correction in force at once (on the item's delivered versions, or as
the check's correction for the scenario's delivered versions: an attempt scored from
then on is scored under it) and queues the apply job, which rescores every finished
attempt it touches, a batch per transaction. Each rescored attempt gets a
``regrade_results`` row (its old and new score) and its item-analysis outcomes recorded
again, in the transaction that changes it: the job is idempotent (a done attempt is
skipped) and resumable (a crash loses at most the batch in flight, which rolls back
whole). The preview and the job rescore an attempt with the same function and classify
it with the same rule (``impact.outcome``), so the preview's counts are what the apply
does, for items and checks alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts import service as attempts_service
from app.attempts.models import Attempt, AttemptStatus
from app.authoring import service as authoring_service
from app.certificates import outbox
from app.certificates import service as certificates_service
from app.certificates.credential import Issuer
from app.certificates.lookup import CertificateLookup
from app.core.clock import Clock
from app.core.db import session_scope
from app.core.jobs import JobPort, PendingJobs
from app.exams import service as exams_service
from app.exams.models import ExamVersion, ItemVersion
from app.grading import service as grading_service
from app.grading.corrections import CheckCorrection
from app.grading.exceptions import ScenarioNotFound
from app.grading.scenarios import Scenario
from app.grading.scoring import ExamResult, KeyCorrection
from app.identity import service as identity_service
from app.identity.models import User
from app.proctoring import audit
from app.proctoring import service as proctoring_service
from app.proctoring.models import ReviewState
from app.regrading.exceptions import (
    CheckNotInScenario,
    ItemNotFound,
    KeyNotInItem,
    LastCheck,
    RegradeInProgress,
    RegradeNotFound,
    RegradeNotProposed,
)
from app.regrading.impact import (
    NEW_PASS,
    PASS_REVOKED,
    UNCHANGED,
    Impact,
    Rescored,
    impact_of,
    outcome,
)
from app.regrading.models import Regrade, RegradeResult, RegradeStatus
from app.regrading.repository import RegradeRepository

REGRADE_APPLY = "regrade_apply"
log = structlog.get_logger("assay.regrading")


def correction_of(regrade: Regrade) -> KeyCorrection:
    return KeyCorrection(regrade.change, tuple(str(k) for k in regrade.key))


def check_correction_of(regrade: Regrade) -> CheckCorrection | None:
    """The check correction a check regrade puts in force; None for an item regrade."""
    if regrade.check_name is None:
        return None
    return CheckCorrection(
        str(regrade.scenario_id), regrade.check_name, regrade.scenario_version or 0, regrade.change
    )


def version_ids(regrade: Regrade) -> list[uuid.UUID]:
    return [uuid.UUID(str(v)) for v in regrade.item_version_ids]


def _score(value: float) -> str:
    # Audit details hold no floats (they could come back written differently).
    return f"{value:.6f}"


async def get(session: AsyncSession, regrade_id: uuid.UUID) -> Regrade:
    regrade = await RegradeRepository(session).get(regrade_id)
    if regrade is None:
        raise RegradeNotFound()
    return regrade


async def listing(session: AsyncSession) -> Sequence[Regrade]:
    return await RegradeRepository(session).listing()


async def check_regrades_in_force(
    session: AsyncSession, scenario_ids: Sequence[str]
) -> dict[tuple[str, str], Regrade]:
    """The regrade behind each check correction in force, by (scenario, check): the one
    applied last, as its correction replaced the earlier one's
    (``grading_service.correct_check``)."""
    regrades = await RegradeRepository(session).check_regrades(scenario_ids)
    return {(str(r.scenario_id), str(r.check_name)): r for r in regrades}


# --- Propose ---------------------------------------------------------------------


@dataclass(frozen=True)
class KeyChange:
    """An item whose newest published version keys a different answer than versions
    already delivered, and no regrade covers that newest version yet: a fix made in git
    that the attempts already scored have not had."""

    item_id: str
    version: int
    key: list[str]
    earlier_keys: list[list[str]]


async def key_changes(session: AsyncSession) -> list[KeyChange]:
    covered = {v for r in await RegradeRepository(session).listing() for v in r.item_version_ids}
    by_item: dict[str, list[ItemVersion]] = {}
    for version in await exams_service.items_with_history(session):
        by_item.setdefault(version.item_id, []).append(version)
    changes = []
    for item_id, versions in sorted(by_item.items()):
        newest = versions[-1]
        key = sorted(str(k) for k in newest.key)
        earlier = [sorted(str(k) for k in v.key) for v in versions[:-1]]
        differing = [k for k in earlier if k != key]
        if differing and str(newest.id) not in covered:
            changes.append(KeyChange(item_id, newest.version, key, differing))
    return changes


async def propose(
    session: AsyncSession,
    clock: Clock,
    author: User,
    *,
    item_id: str,
    change: str,
    key: Sequence[str],
    reason: str,
) -> Regrade:
    """A correction to every version of the item published so far. A ``rekey`` without a
    key takes the key of the item's newest version: the fix the author made in git and
    published (``assay content``) is carried back to the attempts already delivered."""
    versions = await exams_service.versions_of_item(session, item_id)
    if not versions:
        raise ItemNotFound()
    if change == "drop":
        key = []
    elif change == "rekey" and not key:
        key = [str(k) for k in versions[-1].key]
    for version in versions:
        if not set(key) <= {str(o["id"]) for o in version.options}:
            raise KeyNotInItem()
    regrade = Regrade(
        id=uuid.uuid4(),
        item_id=item_id,
        change=change,
        key=sorted(set(key)),
        item_version_ids=[str(v.id) for v in versions],
        reason=reason,
        status=RegradeStatus.proposed,
        proposed_by=author.id,
        proposed_at=clock.now(),
    )
    return await _proposed(session, clock, author, regrade)


async def propose_check(
    session: AsyncSession,
    clock: Clock,
    author: User,
    scenarios: Mapping[str, Scenario],
    *,
    scenario_id: str,
    check: str,
    change: str,
    reason: str,
) -> Regrade:
    """A correction to one hidden check of a delivered scenario, for every version up to
    the one installed now (a later version carries the author's fixed judge)."""
    scenario = scenarios.get(scenario_id)
    if scenario is None:
        raise ScenarioNotFound()
    names = {c.name for c in scenario.checks}
    if check not in names:
        raise CheckNotInScenario()
    if change == "drop":
        dropped = (await grading_service.check_corrections(session)).dropped(
            scenario_id, scenario.version
        )
        if names - dropped <= {check}:
            raise LastCheck()
    regrade = Regrade(
        id=uuid.uuid4(),
        item_id=None,
        scenario_id=scenario_id,
        check_name=check,
        scenario_version=scenario.version,
        change=change,
        key=[],
        item_version_ids=[],
        reason=reason,
        status=RegradeStatus.proposed,
        proposed_by=author.id,
        proposed_at=clock.now(),
    )
    return await _proposed(session, clock, author, regrade)


async def _proposed(
    session: AsyncSession,
    clock: Clock,
    author: User,
    regrade: Regrade,
) -> Regrade:
    """Stores a proposal and audits it: what it changes and the author's reason."""
    RegradeRepository(session).add(regrade)
    await session.flush()
    await audit.append(
        session,
        clock,
        audit.Actor(author.id, author.email),
        "regrade_proposed",
        subject=f"regrade:{regrade.id}",
        details={**_target_details(regrade), "reason": regrade.reason},
    )
    return regrade


def _target_details(regrade: Regrade) -> dict[str, str | int]:
    if regrade.check_name is not None:
        return {
            "scenario_id": str(regrade.scenario_id),
            "check": regrade.check_name,
            "scenario_version": regrade.scenario_version or 0,
            "change": regrade.change,
        }
    return {
        "item_id": str(regrade.item_id),
        "change": regrade.change,
        "key": ",".join(str(k) for k in regrade.key),
    }


# --- Rescoring: one function for the preview and the apply --------------------------


@dataclass(frozen=True)
class Rescore:
    attempt: Attempt
    result: ExamResult
    rescored: Rescored


async def rescore(
    session: AsyncSession,
    regrade: Regrade,
    attempts: Sequence[Attempt],
    policy: str,
    exams: dict[uuid.UUID, ExamVersion],
) -> list[Rescore]:
    """Each attempt's result under the regrade's correction (and every correction already
    in force elsewhere), and what that means under the drop policy."""
    ids = [a.id for a in attempts]
    repo = RegradeRepository(session)
    forms = await repo.forms(ids)
    answers = await repo.responses(ids)
    versions = await exams_service.item_versions(
        session,
        list({s.item_version_id for f in forms.values() for s in f if s.item_version_id}),
    )
    with_scenarios = [a for a in ids if any(s.kind == "scenario" for s in forms.get(a, []))]
    scenario_scores = (
        await grading_service.final_scores_of(
            session, with_scenarios, proposed=check_correction_of(regrade)
        )
        if with_scenarios
        else {}
    )
    corrections: dict[uuid.UUID, KeyCorrection] = {}
    if regrade.check_name is None:
        correction = correction_of(regrade)
        corrections = {v: correction for v in version_ids(regrade)}
    out = []
    for attempt in attempts:
        if attempt.exam_version_id not in exams:
            exams[attempt.exam_version_id] = await exams_service.get_exam_version(
                session, attempt.exam_version_id
            )
        result = attempts_service.form_result(
            exams[attempt.exam_version_id],
            forms.get(attempt.id, []),
            answers.get(attempt.id, {}),
            versions,
            scenario_scores.get(attempt.id, {}),
            corrections,
        )
        old = attempt.score if attempt.score is not None else 0.0
        passed_before = bool(attempt.passed)
        new = float(result.score)
        name, passed_after = outcome(old, new, passed_before, result.passed, policy)
        out.append(
            Rescore(
                attempt,
                result,
                Rescored(
                    attempt.id, attempt.exam_code, old, new, passed_before, passed_after, name
                ),
            )
        )
    return out


@dataclass(frozen=True)
class Preview:
    regrade: Regrade
    policy: str
    impact: Impact
    attempts: list[Rescored]  # the attempts whose score moves, at most ``limit``


async def preview(
    session: AsyncSession, regrade_id: uuid.UUID, policy: str, *, batch: int, limit: int
) -> Preview:
    """What applying the regrade now would do to every affected attempt. Writes nothing."""
    regrade = await get(session, regrade_id)
    if regrade.status != RegradeStatus.proposed:
        raise RegradeNotProposed()
    repo = RegradeRepository(session)
    impact = Impact()
    listed: list[Rescored] = []
    exams: dict[uuid.UUID, ExamVersion] = {}
    after: uuid.UUID | None = None
    while attempts := await repo.affected_attempts(regrade, after, batch):
        after = attempts[-1].id
        for r in await rescore(session, regrade, attempts, policy, exams):
            impact.add(r.rescored.exam_code, r.rescored.outcome)
            if r.rescored.outcome != UNCHANGED and len(listed) < limit:
                listed.append(r.rescored)
    return Preview(regrade, policy, impact, listed)


# --- Apply ---------------------------------------------------------------------


async def request_apply(
    session: AsyncSession,
    clock: Clock,
    jobs: PendingJobs,
    admin: User,
    regrade_id: uuid.UUID,
    *,
    reason: str,
    policy: str,
) -> Regrade:
    """Starts applying (the job goes out after commit). Asking again is harmless: an
    applied regrade is left as it is, one still applying is resumed."""
    repo = RegradeRepository(session)
    regrade = await repo.get(regrade_id, for_update=True)
    if regrade is None:
        raise RegradeNotFound()
    if regrade.status == RegradeStatus.applying:
        jobs.add(REGRADE_APPLY, {"regrade_id": str(regrade.id)})
    if regrade.status != RegradeStatus.proposed:
        return regrade
    if await repo.applying(regrade):
        raise RegradeInProgress()
    regrade.status = RegradeStatus.applying
    regrade.applied_by = admin.id
    regrade.applied_by_label = admin.email
    regrade.apply_reason = reason
    regrade.drop_policy = policy
    regrade.applied_at = clock.now()
    check = check_correction_of(regrade)
    if check is not None:
        await grading_service.correct_check(session, clock, check)
    else:
        await exams_service.correct_key(session, version_ids(regrade), correction_of(regrade))
    await session.flush()
    await audit.append(
        session,
        clock,
        audit.Actor(admin.id, admin.email),
        "regrade_applied",
        subject=f"regrade:{regrade.id}",
        details={**_target_details(regrade), "reason": reason, "drop_policy": policy},
    )
    jobs.add(REGRADE_APPLY, {"regrade_id": str(regrade.id)})
    return regrade


async def apply_batch(
    session: AsyncSession,
    clock: Clock,
    issuer: Issuer,
    regrade: Regrade,
    *,
    batch: int,
    lookup: CertificateLookup | None = None,
) -> int:
    """Rescores the next batch of attempts the regrade has not done yet, and records
    their item-analysis outcomes again under the corrected scoring, in the caller's
    transaction; returns how many it did (0: none left)."""
    repo = RegradeRepository(session)
    attempts = await repo.affected_attempts(regrade, None, batch, not_done=True)
    policy = regrade.drop_policy or "keep"
    actor = audit.Actor(regrade.applied_by, regrade.applied_by_label or "regrade")
    for r in await rescore(session, regrade, attempts, policy, {}):
        done = r.rescored
        row = RegradeResult(
            regrade_id=regrade.id,
            attempt_id=done.attempt_id,
            exam_code=done.exam_code,
            old_score=done.old_score,
            new_score=done.new_score,
            passed_before=done.passed_before,
            passed_after=done.passed_after,
            outcome=done.outcome,
            at=clock.now(),
        )
        repo.add_result(row)
        if done.outcome == UNCHANGED:
            continue
        attempt = r.attempt
        attempt.score = done.new_score
        attempt.passed = done.passed_after
        attempt.section_scores = [
            {"kind": s.kind, "weight": s.weight, "score": float(s.score)} for s in r.result.sections
        ]
        await session.flush()
        await audit.append(
            session,
            clock,
            actor,
            "regrade_rescored",
            subject=f"regrade:{regrade.id}",
            attempt_id=attempt.id,
            details={
                "old_score": _score(done.old_score),
                "new_score": _score(done.new_score),
                "passed_before": done.passed_before,
                "passed_after": done.passed_after,
                "outcome": done.outcome,
            },
        )
        if done.outcome == NEW_PASS:
            row.certificate_id = await _certify(session, clock, issuer, attempt)
        elif done.outcome == PASS_REVOKED:
            reason = f"Regrade of {regrade.target}: {regrade.apply_reason or ''}".strip()
            for certificate in await certificates_service.revoke_from_attempt(
                session, clock, attempt.id, reason, lookup=lookup
            ):
                await proctoring_service.record_revocation(
                    session,
                    clock,
                    actor,
                    certificate_id=certificates_service.display_id(certificate.public_id),
                    reason=reason,
                    attempt_id=attempt.id,
                )
    await session.flush()
    # Every touched attempt, moved or not: a dropped item or check leaves its rows.
    await authoring_service.record_again(session, [a.id for a in attempts])
    return len(attempts)


async def _certify(
    session: AsyncSession, clock: Clock, issuer: Issuer, attempt: Attempt
) -> str | None:
    """A new pass gets its certificate and the candidate's mail, as a pass at scoring
    would: not when a proctor invalidated the attempt, and only at approval when a
    proctor holds it."""
    review = await proctoring_service.review_of(session, attempt.id)
    if review is not None and review.state == ReviewState.invalidated:
        return None
    if review is not None and review.hold and review.state == ReviewState.pending:
        attempt.status = AttemptStatus.under_review
        await session.flush()
        return None
    if attempt.status != AttemptStatus.scored:
        return None
    certificate = await attempts_service.issue_for_pass(session, clock, attempt)
    user = await identity_service.get_user(session, attempt.user_id)
    if user is not None:
        await outbox.queue_regrade_pass(session, clock, issuer, certificate, user.email)
    return certificate.public_id


async def finish(session: AsyncSession, clock: Clock, regrade: Regrade) -> None:
    regrade.status = RegradeStatus.applied
    regrade.finished_at = clock.now()
    await session.flush()
    totals = (await applied_impact(session, regrade.id)).total
    await audit.append(
        session,
        clock,
        audit.Actor(regrade.applied_by, regrade.applied_by_label or "regrade"),
        "regrade_finished",
        subject=f"regrade:{regrade.id}",
        details={
            "affected": totals.affected,
            "changed": totals.changed,
            "new_passes": totals.new_passes,
            "below_pass_mark": totals.below_pass_mark,
            "passes_kept": totals.passes_kept,
            "passes_revoked": totals.passes_revoked,
        },
    )


async def run_apply(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    issuer: Issuer,
    regrade_id: uuid.UUID,
    *,
    batch: int,
    lookup: CertificateLookup | None = None,
) -> None:
    """The apply job: a batch per transaction until none is left, then ``applied``.
    Each batch first locks the regrade's row, so two runs of the job (a resume while
    one still runs) take turns and never rescore an attempt twice."""
    while True:
        async with session_scope(sessionmaker) as session:
            regrade = await RegradeRepository(session).get(regrade_id, for_update=True)
            if regrade is None or regrade.status != RegradeStatus.applying:
                return
            done = await apply_batch(session, clock, issuer, regrade, batch=batch, lookup=lookup)
            if done == 0:
                await finish(session, clock, regrade)
                log.info("regrade applied", regrade=str(regrade_id))
                return


async def resume_applying(sessionmaker: async_sessionmaker[AsyncSession], runner: JobPort) -> int:
    """Requeues every regrade left applying (a crash or a restart stopped its job)."""
    async with session_scope(sessionmaker) as session:
        ids = [r.id for r in await RegradeRepository(session).applying()]
    for regrade_id in ids:
        await runner.submit(REGRADE_APPLY, {"regrade_id": str(regrade_id)})
    return len(ids)


async def applied_impact(session: AsyncSession, regrade_id: uuid.UUID) -> Impact:
    """The counts of what the apply did (so far, while it runs)."""
    return impact_of(await RegradeRepository(session).outcome_counts(regrade_id))


async def applied_results(
    session: AsyncSession, regrade_id: uuid.UUID, limit: int
) -> Sequence[RegradeResult]:
    return await RegradeRepository(session).results(regrade_id, limit)


class ApplyJob:
    """The handler registered for ``REGRADE_APPLY``: one run per regrade at a time in
    this process (the periodic `regrades_resume` job finds a regrade still applying)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        issuer: Issuer,
        *,
        batch: int,
        lookup: CertificateLookup | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._issuer = issuer
        self._batch = batch
        self._lookup = lookup
        self._running: set[uuid.UUID] = set()

    async def __call__(self, payload: dict[str, object]) -> None:
        regrade_id = uuid.UUID(str(payload["regrade_id"]))
        if regrade_id in self._running:
            return
        self._running.add(regrade_id)
        try:
            await run_apply(
                self._sessionmaker,
                self._clock,
                self._issuer,
                regrade_id,
                batch=self._batch,
                lookup=self._lookup,
            )
        finally:
            self._running.discard(regrade_id)
