r"""Delivery: the life of an attempt.

    in_progress --submit / deadline--> submitted --score--> scored
                                  \--scenarios--> grading --/   \--> under_review --> scored
                                                                 (a held pass, until a
                                                                  proctor decides)

The deadline is fixed at start and kept by the server; every write checks it in the
statement that writes. Answers the server acknowledged are exactly what is scored.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.exceptions import (
    AlreadyCertified,
    AttemptClosed,
    AttemptLimitReached,
    AttemptNotFound,
    AttemptPending,
    ExamUnavailable,
    InvalidAnswer,
    ItemNotFound,
    NoRunsLeft,
    PrerequisiteMissing,
    RetakeTooSoon,
    RunNotFound,
    ScenarioUnavailable,
)
from app.attempts.models import Attempt, AttemptItem, AttemptStatus, Response
from app.attempts.repository import (
    AnswerWrite,
    AttemptRepository,
    AutosaveRepository,
    remember_form,
)
from app.certificates import service as certificates_service
from app.certificates.models import Certificate
from app.certificates.status import add_months
from app.core.clock import Clock
from app.core.db import session_scope
from app.core.jobs import JobRunner, PendingJobs
from app.exams import service as exams_service
from app.exams.content import BlueprintSpec
from app.exams.forms import PoolEntry, PoolTooSmall, assemble_form, option_order
from app.exams.models import ExamVersion, ItemVersion
from app.grading import service as grading_service
from app.grading.exceptions import ScenarioInvalid
from app.grading.scenarios import Scenario
from app.grading.scoring import SectionResult, score_choice_item, score_exam
from app.identity import service as identity_service
from app.proctoring import service as proctoring_service
from app.proctoring.signals import AnswerFact, ReviewPolicy

OPTION_LABELS = "abcde"
MAX_SWEEP_BATCH = 200
MAX_FILE_BYTES = 64 * 1024
GRADE_RUN = "grade_run"
STALLED_GRADING_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class StartedAttempt:
    attempt: Attempt
    items: Sequence[AttemptItem]
    created: bool


def remaining_seconds(attempt: Attempt, now: datetime) -> int:
    if attempt.status != AttemptStatus.in_progress:
        return 0
    return max(0, int((attempt.deadline_at - now).total_seconds()))


async def start_attempt(
    session: AsyncSession,
    clock: Clock,
    user_id: uuid.UUID,
    exam_code: str,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
) -> StartedAttempt:
    """The candidate's open attempt at this exam, or a new one if the rules allow it."""
    exam = await exams_service.get_exam(session, exam_code)
    repo = AttemptRepository(session)
    now = clock.now()
    history = await repo.history(user_id, exam_code)
    for previous in history:
        if previous.status != AttemptStatus.in_progress:
            continue
        if previous.deadline_at + grace > now:
            return StartedAttempt(previous, await repo.items(previous.id), created=False)
        # Overdue but not swept yet (callers sweep this candidate first; this is a race).
        raise AttemptPending()
    blueprint = exams_service.blueprint_of(exam)
    await _check_eligibility(session, user_id, exam, blueprint, history, now)

    seed = secrets.randbits(31)
    pool, items_by_id = await exams_service.drawable_pool(session)
    pool += [PoolEntry(sc.id, "scenario", sc.domain, sc.level) for sc in scenarios.values()]
    try:
        form = assemble_form(
            blueprint,
            pool,
            seed,
            seen=await repo.seen_item_ids(user_id),
            exposure=await repo.item_exposure(),
        )
    except PoolTooSmall as exc:
        raise ExamUnavailable() from exc
    # Sections keep their blueprint order; items within the form are interleaved so
    # that domains do not come in blocks.
    random.Random(seed).shuffle(form)
    form.sort(key=lambda slot: slot.section)
    # A standing accommodation (extra minutes for this candidate at this exam).
    extra = await proctoring_service.extra_minutes_for(session, user_id, exam.code)
    attempt = Attempt(
        id=uuid.uuid4(),
        user_id=user_id,
        exam_version_id=exam.id,
        exam_code=exam.code,
        status=AttemptStatus.in_progress,
        seed=seed,
        started_at=now,
        deadline_at=now + timedelta(minutes=exam.duration_minutes + extra),
    )
    items = []
    for position, slot in enumerate(form, start=1):
        ref = f"q{position}"
        if slot.kind == "scenario":
            scenario = scenarios[slot.ref_id]
            items.append(
                AttemptItem(
                    attempt_id=attempt.id,
                    ref=ref,
                    position=position,
                    kind="scenario",
                    section=slot.section,
                    scenario_id=scenario.id,
                    scenario_version=scenario.version,
                    # The attempt's variant: drawn from its seed, so two candidates'
                    # correct fixes differ and a shared answer does not transfer.
                    scenario_params=dict(scenario.draw_params(seed)) or None,
                )
            )
            continue
        item = items_by_id[slot.ref_id]
        items.append(
            AttemptItem(
                attempt_id=attempt.id,
                ref=ref,
                position=position,
                kind=slot.kind,
                section=slot.section,
                item_version_id=item.id,
                option_order=option_order([o["id"] for o in item.options], seed, item.item_id),
            )
        )
    await repo.add(attempt, items)
    if extra:
        await proctoring_service.record_server_event(
            session, clock, attempt.id, "accommodation_applied", {"minutes": extra}
        )
    remember_form(
        attempt,
        items,
        {
            i.ref: items_by_id[s.ref_id].type
            for i, s in zip(items, form, strict=True)
            if s.kind == "mcq"
        },
    )
    return StartedAttempt(attempt, items, created=True)


async def _check_eligibility(
    session: AsyncSession,
    user_id: uuid.UUID,
    exam: ExamVersion,
    blueprint: BlueprintSpec,
    history: Sequence[Attempt],
    now: datetime,
) -> None:
    if any(
        a.status != AttemptStatus.scored and a.status != AttemptStatus.in_progress for a in history
    ):
        raise AttemptPending()
    today = now.date()
    if exam.renews is not None:
        # A renewal exam is open only while a certificate it renews is in its window.
        await certificates_service.check_renewal_open(session, user_id, exam.renews, today)
    held = await certificates_service.current_exam_codes(session, user_id, today)
    if exam.code in held:
        raise AlreadyCertified()
    missing = [code for code in blueprint.prerequisites if code not in held]
    if missing:
        raise PrerequisiteMissing(
            f"This exam needs a current certificate for: {', '.join(missing)}.", missing=missing
        )
    rules = blueprint.retake
    window_start = add_months(today, -rules.window_months)
    recent = [a for a in history if a.started_at.date() > window_start]
    if len(recent) >= rules.max_attempts:
        oldest = min(a.started_at for a in recent)
        allowed_from = add_months(oldest.date(), rules.window_months)
        raise AttemptLimitReached(
            f"At most {rules.max_attempts} attempts in {rules.window_months} months; "
            f"the next is possible from {allowed_from.isoformat()}.",
            allowed_from=allowed_from.isoformat(),
        )
    last = history[0] if history else None
    if last is not None and last.passed is False and last.submitted_at is not None:
        allowed_at = last.submitted_at + timedelta(days=rules.wait_days)
        if now < allowed_at:
            raise RetakeTooSoon(
                f"You can retake this exam from {allowed_at.date().isoformat()}.",
                allowed_from=allowed_at.isoformat(),
            )


async def owned_attempt(
    session: AsyncSession, user_id: uuid.UUID, attempt_id: uuid.UUID
) -> Attempt:
    attempt = await AttemptRepository(session).get_owned(attempt_id, user_id)
    if attempt is None:
        raise AttemptNotFound()
    return attempt


@dataclass(frozen=True)
class AttemptView:
    attempt: Attempt
    items: Sequence[AttemptItem]
    responses: dict[str, Response]
    # Refs with an answer: choices made, or scenario files changed from the workspace
    # (a scenario only flagged, or saved unchanged, is not answered).
    answered: frozenset[str]


async def attempt_view(
    session: AsyncSession, attempt: Attempt, scenarios: Mapping[str, Scenario]
) -> AttemptView:
    repo = AttemptRepository(session)
    items = await repo.items(attempt.id)
    responses = await repo.responses(attempt.id)
    answered = set()
    for item in items:
        response = responses.get(item.ref)
        if response is None:
            continue
        if item.kind == "scenario":
            scenario = scenario_variant(scenarios, item)
            workspace = scenario.workspace_files if scenario else {}
            if any(workspace.get(path) != text for path, text in (response.files or {}).items()):
                answered.add(item.ref)
        elif response.choices:
            answered.add(item.ref)
    return AttemptView(attempt, items, responses, frozenset(answered))


@dataclass(frozen=True)
class McqView:
    ref: str
    stem: str
    multiple: bool
    options: list[tuple[str, str]]
    answer: list[str]
    flagged: bool
    # The stored seq, so a client that lost its own count continues above it.
    seq: int


async def mcq_view(session: AsyncSession, attempt: Attempt, ref: str) -> McqView:
    """The item as this candidate sees it: options in their shuffled order, labelled a, b,
    c... per attempt, never the key."""
    repo = AttemptRepository(session)
    slot = await repo.item(attempt.id, ref)
    if slot is None or slot.item_version_id is None:
        raise ItemNotFound()
    version = (await exams_service.item_versions(session, [slot.item_version_id]))[
        slot.item_version_id
    ]
    texts = {o["id"]: o["text"] for o in version.options}
    order = slot.option_order or []
    response = await repo.response(attempt.id, ref)
    return McqView(
        ref=ref,
        stem=version.stem,
        multiple=version.type == "multiple",
        options=[(OPTION_LABELS[i], texts[oid]) for i, oid in enumerate(order)],
        answer=list(response.choices or []) if response else [],
        flagged=response.flagged if response else False,
        seq=response.seq if response else 0,
    )


@dataclass(frozen=True)
class ScenarioView:
    ref: str
    title: str
    brief: str
    files: dict[str, str]
    editable: list[str]
    public_checks: list[str]
    runs_left: int
    flagged: bool
    seq: int


async def item_kind(session: AsyncSession, attempt: Attempt, ref: str) -> str:
    slot = await AttemptRepository(session).item(attempt.id, ref)
    if slot is None:
        raise ItemNotFound()
    return slot.kind


async def scenario_view(
    session: AsyncSession, attempt: Attempt, ref: str, scenarios: Mapping[str, Scenario]
) -> ScenarioView:
    """The scenario as the candidate works on it: the brief, every workspace file with
    their saved edits applied, which files they may edit, the public checks' names and
    the runs left. Hidden checks, the probe and the solution never appear."""
    repo = AttemptRepository(session)
    slot = await repo.item(attempt.id, ref)
    if slot is None or slot.scenario_id is None:
        raise ItemNotFound()
    scenario = _variant(scenarios, slot)
    response = await repo.response(attempt.id, ref)
    used = await grading_service.public_runs_used(session, attempt.id, ref)
    return ScenarioView(
        ref=ref,
        title=scenario.title,
        brief=scenario.brief,
        files={**scenario.workspace_files, **(response.files or {} if response else {})},
        editable=list(scenario.editable),
        public_checks=[c.name for c in scenario.public_checks],
        runs_left=max(0, scenario.max_public_runs - used),
        flagged=response.flagged if response else False,
        seq=response.seq if response else 0,
    )


def _scenario(scenarios: Mapping[str, Scenario], scenario_id: str) -> Scenario:
    scenario = scenarios.get(scenario_id)
    if scenario is None:
        raise ScenarioUnavailable()
    return scenario


def _variant(scenarios: Mapping[str, Scenario], slot: AttemptItem) -> Scenario:
    """The scenario as this attempt got it: rendered with the item's parameters."""
    scenario = _scenario(scenarios, slot.scenario_id or "")
    return scenario.variant(slot.scenario_params) if slot.scenario_params else scenario


def scenario_variant(scenarios: Mapping[str, Scenario], slot: AttemptItem) -> Scenario | None:
    if scenarios.get(slot.scenario_id or "") is None:
        return None
    try:
        return _variant(scenarios, slot)
    except ScenarioInvalid:
        return None


def _checked_files(files: dict[str, str], scenario: Scenario) -> dict[str, str]:
    outside = sorted(set(files) - set(scenario.editable))
    if outside:
        raise InvalidAnswer(f"These files are not editable here: {', '.join(outside)}.")
    too_big = [path for path, text in files.items() if len(text.encode()) > MAX_FILE_BYTES]
    if too_big:
        raise InvalidAnswer(f"Files over {MAX_FILE_BYTES // 1024} KiB: {', '.join(too_big)}.")
    return files


@dataclass(frozen=True)
class Saved:
    ref: str
    seq: int
    saved_at: datetime


async def save_response(
    autosave: AutosaveRepository,
    clock: Clock,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    user_id: uuid.UUID,
    attempt_id: uuid.UUID,
    ref: str,
    seq: int,
    choices: list[str] | None,
    files: dict[str, str] | None,
    flagged: bool,
) -> Saved:
    """Autosave. Idempotent: a repeated or older ``seq`` is acknowledged with what is
    stored and changes nothing. The write and the checks that guard it (owner, status,
    deadline) are one statement."""
    form = await autosave.form_meta(attempt_id)
    if form is None or form.owner_id != user_id:
        raise AttemptNotFound()
    meta = form.items.get(ref)
    if meta is None:
        raise ItemNotFound()
    if meta.kind == "mcq":
        if files is not None:
            raise InvalidAnswer("A multiple-choice answer has `choices`, not `files`.")
        choices = _checked_choices(choices or [], meta.option_count, meta.multiple)
    else:
        if choices is not None:
            raise InvalidAnswer("A scenario answer has `files`, not `choices`.")
        files = _checked_files(files or {}, _scenario(scenarios, meta.scenario_id or ""))
    now = clock.now()
    stored = await autosave.upsert_response(
        AnswerWrite(attempt_id, user_id, ref, seq, choices, files, flagged, now, now - grace)
    )
    if stored is not None:
        return Saved(ref, stored[0], stored[1])
    state = await autosave.attempt_state(attempt_id)
    if state is None or state.owner_id != user_id:
        raise AttemptNotFound()
    if state.status != AttemptStatus.in_progress or state.deadline_at <= now - grace:
        raise AttemptClosed()
    existing = await autosave.stored_response(attempt_id, ref)
    if existing is None:  # pragma: no cover - the upsert wrote or a newer seq exists
        raise AttemptClosed()
    return Saved(ref, existing[0], existing[1])


async def request_public_run(
    session: AsyncSession,
    clock: Clock,
    jobs: PendingJobs,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    attempt: Attempt,
    ref: str,
) -> uuid.UUID:
    """Queues a run of the public checks on the candidate's saved files."""
    repo = AttemptRepository(session)
    locked = await repo.get(attempt.id, for_update=True)
    now = clock.now()
    if (
        locked is None
        or locked.status != AttemptStatus.in_progress
        or locked.deadline_at <= now - grace
    ):
        raise AttemptClosed()
    slot = await repo.item(attempt.id, ref)
    if slot is None or slot.scenario_id is None:
        raise ItemNotFound()
    scenario = _scenario(scenarios, slot.scenario_id)
    if await grading_service.public_runs_used(session, attempt.id, ref) >= scenario.max_public_runs:
        raise NoRunsLeft()
    response = await repo.response(attempt.id, ref)
    run = await grading_service.create_run(
        session,
        clock,
        attempt_id=attempt.id,
        ref=ref,
        kind="public",
        scenario=scenario,
        files=dict(response.files or {}) if response else {},
        seed=secrets.randbits(31),
        params=slot.scenario_params,
    )
    jobs.add(GRADE_RUN, {"run_id": str(run.id)})
    return run.id


@dataclass(frozen=True)
class RunView:
    status: str
    checks: list[tuple[str, bool, str]]


async def public_run_view(
    session: AsyncSession, attempt: Attempt, ref: str, run_id: uuid.UUID
) -> RunView:
    run = await grading_service.get_run(session, attempt.id, run_id)
    if run is None or run.ref != ref or run.kind != "public":
        raise RunNotFound()
    checks = [
        (c["name"], bool(c["passed"]), str(c["message"]))
        for c in (run.record or {}).get("checks", [])
        if c.get("public")
    ]
    return RunView(run.status, checks)


def _checked_choices(choices: list[str], option_count: int, multiple: bool) -> list[str]:
    labels = OPTION_LABELS[:option_count]
    unknown = [c for c in choices if c not in labels]
    if unknown:
        raise InvalidAnswer(f"Unknown option(s) {unknown}; this item has {', '.join(labels)}.")
    if len(set(choices)) != len(choices):
        raise InvalidAnswer("An option is chosen twice.")
    if not multiple and len(choices) > 1:
        raise InvalidAnswer("This item takes one answer.")
    return sorted(choices)


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
    by = "candidate" if now <= attempt.deadline_at + grace else "deadline"
    await _close(session, clock, jobs, scenarios, review, attempt, submitted_by=by)
    return attempt


async def _close(
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
            scenario=_scenario(scenarios, slot.scenario_id or ""),
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
    blueprint = exams_service.blueprint_of(exam)
    items = await repo.items(attempt.id)
    responses = await repo.responses(attempt.id)
    versions = await exams_service.item_versions(
        session, [i.item_version_id for i in items if i.item_version_id is not None]
    )
    earned = [Fraction(0) for _ in blueprint.sections]
    possible = [0 for _ in blueprint.sections]
    for slot in items:
        possible[slot.section] += 1
        if slot.kind == "scenario":
            earned[slot.section] += scenario_scores.get(slot.ref, Fraction(0))
            continue
        if slot.item_version_id is None:
            continue
        version = versions[slot.item_version_id]
        response = responses.get(slot.ref)
        chosen = [
            (slot.option_order or [])[OPTION_LABELS.index(label)]
            for label in (response.choices or [] if response else [])
        ]
        earned[slot.section] += score_choice_item(version.key, chosen)
    result = score_exam(
        [
            SectionResult(section.kind, section.weight, earned[i], possible[i])
            for i, section in enumerate(blueprint.sections)
        ],
        exam.pass_mark,
    )
    attempt.status = AttemptStatus.scored
    attempt.scored_at = clock.now()
    attempt.score = float(result.score)
    attempt.passed = result.passed
    attempt.section_scores = [
        {"kind": s.kind, "weight": s.weight, "score": float(s.score)} for s in result.sections
    ]
    await session.flush()
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


async def get_attempt(
    session: AsyncSession, attempt_id: uuid.UUID, *, for_update: bool = False
) -> Attempt:
    """Any candidate's attempt (for proctors); AttemptNotFound if there is none."""
    attempt = await AttemptRepository(session).get(attempt_id, for_update=for_update)
    if attempt is None:
        raise AttemptNotFound()
    return attempt


async def attempts_by_id(
    session: AsyncSession, attempt_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Attempt]:
    return {a.id: a for a in await AttemptRepository(session).by_ids(attempt_ids)}


async def running_attempt_ids(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    return list(await AttemptRepository(session).running_ids(user_id))


async def extend_deadline(
    session: AsyncSession, clock: Clock, attempt: Attempt, minutes: int, *, grace: timedelta
) -> Attempt:
    """Moves a running attempt's deadline (``attempt`` locked by the caller). The
    candidate's clock follows at its next sync; autosave judges the new deadline at once."""
    if attempt.status != AttemptStatus.in_progress or attempt.deadline_at + grace <= clock.now():
        raise AttemptClosed("This attempt is no longer running; its time cannot be extended.")
    attempt.deadline_at += timedelta(minutes=minutes)
    await session.flush()
    return attempt


@dataclass(frozen=True)
class ResultView:
    attempt: Attempt
    pass_mark: float
    sections: list[tuple[str, float | None, float]]
    certificate_id: str | None


async def result_view(session: AsyncSession, attempt: Attempt) -> ResultView:
    exam = await exams_service.get_exam_version(session, attempt.exam_version_id)
    blueprint = exams_service.blueprint_of(exam)
    if attempt.section_scores is not None:
        sections = [(s["kind"], s["score"], s["weight"]) for s in attempt.section_scores]
    else:
        sections = [(s.kind, None, s.weight) for s in blueprint.sections]
    certificate = await certificates_service.certificate_for_attempt(session, attempt.id)
    return ResultView(
        attempt,
        exam.pass_mark,
        sections,
        certificates_service.display_id(certificate.public_id) if certificate else None,
    )


async def sweep_overdue(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    grace: timedelta,
    *,
    runner: JobRunner,
    scenarios: Mapping[str, Scenario],
    review: ReviewPolicy,
    user_id: uuid.UUID | None = None,
) -> int:
    """Submits every attempt whose deadline (plus grace) has passed, each in its own
    transaction, so no attempt waits for its candidate to come back. With ``user_id``,
    only that candidate's: done before they start again, so an attempt that ran out
    counts (and is scored) whatever the new request's outcome."""
    async with session_scope(sessionmaker) as session:
        ids = await AttemptRepository(session).overdue_ids(
            clock.now() - grace, MAX_SWEEP_BATCH, user_id=user_id
        )
    submitted = 0
    for attempt_id in ids:
        jobs = PendingJobs()
        async with session_scope(sessionmaker) as session:
            attempt = await AttemptRepository(session).get(attempt_id, for_update=True)
            if attempt is None or attempt.status != AttemptStatus.in_progress:
                continue  # submitted meanwhile by its candidate
            await _close(session, clock, jobs, scenarios, review, attempt, submitted_by="deadline")
            submitted += 1
        jobs.send(runner)
    return submitted


async def requeue_stalled_gradings(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, runner: JobRunner
) -> int:
    """Final gradings still queued or running after a while belonged to a process that
    stopped (or could not get a sandbox): run them again. Grading is idempotent."""
    async with session_scope(sessionmaker) as session:
        stalled = await grading_service.stalled_final_runs(
            session, clock.now() - STALLED_GRADING_AFTER
        )
    for run_id in stalled:
        runner.submit(GRADE_RUN, {"run_id": str(run_id)})
    return len(stalled)


async def run_grading_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    scenarios: Mapping[str, Scenario],
    payload: dict[str, Any],
    *,
    review: ReviewPolicy,
) -> None:
    """The ``grade_run`` job: grade one run; after a final grading, score the attempt if
    it was the last one."""
    run = await grading_service.execute_run(
        sessionmaker, clock, scenarios, uuid.UUID(payload["run_id"])
    )
    if run is not None and run.kind == "final" and run.status == "done":
        async with session_scope(sessionmaker) as session:
            await finish_grading(session, clock, run.attempt_id, scenarios=scenarios, review=review)
