r"""Closing an attempt: submission, scoring, and the certificate of a pass.

    in_progress --submit / deadline--> submitted --score--> scored
                                  \--scenarios--> grading --/   \--> under_review --> scored
                                                                 (a held pass, until a
                                                                  proctor decides)

The deadline is fixed at start and kept by the server; every write checks it in the
statement that writes. Answers the server acknowledged are exactly what is scored.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.exceptions import (
    AttemptNotFound,
    AttemptNotStarted,
)
from app.attempts.items import GRADE_RUN, chosen_options, scenario_of, scenario_variant
from app.attempts.models import Attempt, AttemptItem, AttemptStatus, Response
from app.attempts.repository import (
    AttemptRepository,
)
from app.attempts.timing import has_started
from app.authoring import service as authoring_service
from app.certificates import service as certificates_service
from app.certificates.models import Certificate
from app.core.clock import Clock
from app.core.jobs import PendingJobs
from app.exams import service as exams_service
from app.exams.models import ExamVersion, ItemVersion
from app.grading import service as grading_service
from app.grading.scenarios import Scenario
from app.grading.scoring import (
    ExamResult,
    KeyCorrection,
    SectionResult,
    score_corrected_item,
    score_exam,
)
from app.identity import service as identity_service
from app.proctoring import service as proctoring_service
from app.proctoring.signals import AnswerFact, ReviewPolicy


async def submit(
    session: AsyncSession,
    clock: Clock,
    jobs: PendingJobs,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    review: ReviewPolicy,
    user_id: uuid.UUID,
    attempt_id: uuid.UUID,
) -> Attempt:
    attempt = await AttemptRepository(session).get(attempt_id, for_update=True)
    if attempt is None or attempt.user_id != user_id:
        raise AttemptNotFound()
    if attempt.status != AttemptStatus.in_progress:
        return attempt  # submitting twice is harmless
    now = clock.now()
    if not has_started(attempt, now):
        raise AttemptNotStarted()
    by = "candidate" if now <= attempt.deadline_at + grace else "deadline"
    await close_attempt(session, clock, jobs, scenarios, review, attempt, submitted_by=by)
    return attempt


async def close_attempt(
    session: AsyncSession,
    clock: Clock,
    jobs: PendingJobs,
    scenarios: Mapping[str, Scenario],
    review: ReviewPolicy,
    attempt: Attempt,
    *,
    submitted_by: str,
) -> None:
    """Ends the attempt. Multiple choice alone is scored at once; scenarios are queued
    for hidden grading (as jobs sent after this transaction commits) and the attempt is
    scored when the last of them is graded."""
    repo = AttemptRepository(session)
    attempt.status = AttemptStatus.submitted
    attempt.submitted_at = clock.now()
    attempt.submitted_by = submitted_by
    await session.flush()
    # The answers are closed now (every write checks the status): this is what is scored.
    attempt.receipt = await repo.receipt(attempt.id)
    scenario_slots = [i for i in await repo.items(attempt.id) if i.kind == "scenario"]
    if not scenario_slots:
        await score_attempt(session, clock, attempt, {}, scenarios=scenarios, review=review)
        return
    responses = await repo.responses(attempt.id)
    for slot in scenario_slots:
        response = responses.get(slot.ref)
        run = await grading_service.create_run(
            session,
            clock,
            attempt_id=attempt.id,
            ref=slot.ref,
            kind="final",
            scenario=scenario_of(scenarios, slot.scenario_id or ""),
            files=dict(response.files or {}) if response else {},
            seed=secrets.randbits(31),
            params=slot.scenario_params,
        )
        jobs.add(GRADE_RUN, {"run_id": str(run.id)})
    attempt.status = AttemptStatus.grading
    await session.flush()


async def finish_grading(
    session: AsyncSession,
    clock: Clock,
    attempt_id: uuid.UUID,
    *,
    scenarios: Mapping[str, Scenario],
    review: ReviewPolicy,
) -> None:
    """Scores the attempt once every scenario has its final grade; until then, nothing."""
    attempt = await AttemptRepository(session).get(attempt_id, for_update=True)
    if attempt is None or attempt.status != AttemptStatus.grading:
        return
    scores = await grading_service.final_scores(session, attempt_id)
    if scores is not None:
        await score_attempt(session, clock, attempt, scores, scenarios=scenarios, review=review)


async def score_attempt(
    session: AsyncSession,
    clock: Clock,
    attempt: Attempt,
    scenario_scores: Mapping[str, Fraction],
    *,
    scenarios: Mapping[str, Scenario],
    review: ReviewPolicy,
) -> None:
    """Scores the attempt, has proctoring assess it, and issues the certificate for a
    pass unless the review holds it (the attempt is then ``under_review``)."""
    repo = AttemptRepository(session)
    exam = await exams_service.get_exam_version(session, attempt.exam_version_id)
    items = await repo.items(attempt.id)
    responses = await repo.responses(attempt.id)
    versions = await exams_service.item_versions(
        session, [i.item_version_id for i in items if i.item_version_id is not None]
    )
    result = form_result(exam, items, responses, versions, scenario_scores)
    attempt.status = AttemptStatus.scored
    attempt.scored_at = clock.now()
    attempt.score = float(result.score)
    attempt.passed = result.passed
    attempt.section_scores = [
        {"kind": s.kind, "weight": s.weight, "score": float(s.score)} for s in result.sections
    ]
    await session.flush()
    await authoring_service.record_at_scoring(
        session,
        attempt,
        items,
        responses,
        {vid: v.key for vid, v in versions.items()},
        {vid: correction_of(v) for vid, v in versions.items()},
    )
    held = await proctoring_service.assess_at_scoring(
        session,
        clock,
        review,
        proctoring_service.ScoredAttempt(
            attempt_id=attempt.id,
            user_id=attempt.user_id,
            exam_code=attempt.exam_code,
            started_at=attempt.started_at,
            passed=result.passed,
            answers=[
                AnswerFact(slot.ref, _words(versions[slot.item_version_id]), r.saved_at)
                for slot in items
                if slot.item_version_id is not None
                and (r := responses.get(slot.ref)) is not None
                and r.choices
            ],
            scenarios=[
                _scenario_work(slot, responses.get(slot.ref), scenario_variant(scenarios, slot))
                for slot in items
                if slot.kind == "scenario"
            ],
        ),
    )
    if result.passed and held:
        attempt.status = AttemptStatus.under_review
        await session.flush()
    elif result.passed:
        await _issue(session, clock, attempt, exam)


def form_result(
    exam: ExamVersion,
    items: Sequence[AttemptItem],
    responses: Mapping[str, Response],
    versions: Mapping[uuid.UUID, ItemVersion],
    scenario_scores: Mapping[str, Fraction],
    corrections: Mapping[uuid.UUID, KeyCorrection] | None = None,
) -> ExamResult:
    """An attempt's result from its form, its answers and its scenarios' final scores.
    Each choice item is scored by its key under the version's key correction, if a
    regrade applied one; ``corrections`` stands in for some versions' own (a regrade's
    preview scores with the correction it proposes). Pure: values in, a result out."""
    blueprint = exams_service.blueprint_of(exam)
    earned = [Fraction(0) for _ in blueprint.sections]
    possible = [0 for _ in blueprint.sections]
    for slot in items:
        if slot.kind == "scenario":
            possible[slot.section] += 1
            earned[slot.section] += scenario_scores.get(slot.ref, Fraction(0))
            continue
        if slot.item_version_id is None:
            possible[slot.section] += 1
            continue
        version = versions[slot.item_version_id]
        correction = (corrections or {}).get(version.id) or correction_of(version)
        credit = score_corrected_item(
            version.key, correction, chosen_options(slot, responses.get(slot.ref))
        )
        if credit is None:
            continue  # dropped from scoring: counts for nobody
        possible[slot.section] += 1
        earned[slot.section] += credit
    return score_exam(
        [
            SectionResult(section.kind, section.weight, earned[i], possible[i])
            for i, section in enumerate(blueprint.sections)
        ],
        exam.pass_mark,
    )


def correction_of(version: ItemVersion) -> KeyCorrection | None:
    data = version.key_correction
    return KeyCorrection.from_json(data) if data else None


def _words(version: ItemVersion) -> int:
    return len(version.stem.split()) + sum(len(str(o["text"]).split()) for o in version.options)


def _scenario_work(
    slot: AttemptItem, response: Response | None, scenario: Scenario | None
) -> proctoring_service.ScenarioWork:
    expected: tuple[str, ...] = ()
    if scenario is not None:
        expected = (*scenario.workspace_files.values(), *scenario.solution_files.values())
    return proctoring_service.ScenarioWork(
        ref=slot.ref,
        scenario_id=slot.scenario_id or "",
        files=dict(response.files or {}) if response else {},
        expected=expected,
    )


async def _issue(
    session: AsyncSession, clock: Clock, attempt: Attempt, exam: ExamVersion
) -> Certificate:
    user = await identity_service.get_user(session, attempt.user_id)
    assert user is not None
    return await certificates_service.issue_certificate(
        session,
        clock,
        user_id=user.id,
        holder_name=user.full_name,
        holder_email=user.email,
        attempt_id=attempt.id,
        exam=exam,
        renews=exam.renews,
    )


async def issue_for_pass(session: AsyncSession, clock: Clock, attempt: Attempt) -> Certificate:
    """The certificate of a scored attempt that passes on a rescore (a regrade), issued
    as at any pass (dated today; idempotent per attempt)."""
    exam = await exams_service.get_exam_version(session, attempt.exam_version_id)
    return await _issue(session, clock, attempt, exam)


async def release_review(
    session: AsyncSession, clock: Clock, attempt: Attempt, *, issue: bool
) -> Certificate | None:
    """Ends an attempt's review: it is ``scored`` again, and with ``issue`` a pass gets
    its certificate now (dated today; its validity computed as at any issue)."""
    if attempt.status != AttemptStatus.under_review:
        return None
    attempt.status = AttemptStatus.scored
    await session.flush()
    if not (issue and attempt.passed):
        return None
    exam = await exams_service.get_exam_version(session, attempt.exam_version_id)
    return await _issue(session, clock, attempt, exam)
