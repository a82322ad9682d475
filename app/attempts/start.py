"""Starting an attempt: eligibility (prerequisites, retakes, renewal windows) and the
form drawn for it."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.balance import FormBalancer
from app.attempts.exceptions import (
    AlreadyCertified,
    AttemptLimitReached,
    AttemptPending,
    ExamUnavailable,
    PrerequisiteMissing,
    RetakeTooSoon,
)
from app.attempts.exposure import ExposureCache
from app.attempts.exposure_repository import ExposureRepository
from app.attempts.models import Attempt, AttemptItem, AttemptStatus
from app.attempts.repository import (
    AttemptRepository,
    remember_form,
)
from app.attempts.timing import Scheduled, attempt_times
from app.certificates import service as certificates_service
from app.certificates.status import add_months
from app.core.clock import Clock
from app.core.errors import AssayError
from app.exams import service as exams_service
from app.exams.content import BlueprintSpec
from app.exams.exceptions import ExamNotFound
from app.exams.forms import PoolEntry, PoolTooSmall, assemble_form, option_order
from app.exams.models import ExamVersion
from app.grading.scenarios import Scenario
from app.proctoring import service as proctoring_service


@dataclass(frozen=True)
class StartedAttempt:
    attempt: Attempt
    items: Sequence[AttemptItem]
    created: bool


@dataclass(frozen=True)
class ReadAlready:
    """What a caller read with its own rows, so the start does not read it again (a
    check-in reads it with its sitting): the exam's current version (None: there is
    none), the candidate's attempts at it, newest first, and their standing extra
    minutes at it (``proctoring.service.extra_minutes_for``)."""

    exam: ExamVersion | None
    history: Sequence[Attempt]
    extra_minutes: int


async def start_attempt(
    session: AsyncSession,
    clock: Clock,
    user_id: uuid.UUID,
    exam_code: str,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    exposure: ExposureCache,
    seed: int,
    balancer: FormBalancer | None = None,
    schedule: Scheduled | None = None,
    read: ReadAlready | None = None,
) -> StartedAttempt:
    """The candidate's open attempt at this exam, or a new one if the rules allow it.
    Every query it makes is bounded by this candidate's own rows or by the bank (the
    exposure counters come from ``exposure``, this process's snapshot), never by history.
    ``seed`` draws a new attempt's form; a resumed attempt keeps its own. With
    ``balancer`` the form is balanced in difficulty (app.exams.forms). ``schedule``: a
    check-in to a sitting, whose clock starts with the sitting (``timing.attempt_times``);
    ``read``: the exam, the candidate's history and extra minutes at it, read by the caller."""
    repo = AttemptRepository(session)
    if read is None:
        exam = await exams_service.get_exam(session, exam_code)
        history = await repo.history(user_id, exam_code)
    elif read.exam is None:
        raise ExamNotFound()
    else:
        exam, history = read.exam, read.history
    now = clock.now()
    for previous in history:
        if previous.status != AttemptStatus.in_progress:
            continue
        if previous.deadline_at + grace > now:
            return StartedAttempt(previous, await repo.items(previous.id), created=False)
        # Overdue but not swept yet (callers sweep this candidate first; this is a race).
        raise AttemptPending()
    blueprint = exams_service.blueprint_of(exam)
    await _check_eligibility(session, user_id, exam, blueprint, history, now)

    pool, items_by_id = await exams_service.drawable_pool(session, clock)
    pool += [PoolEntry(sc.id, "scenario", sc.domain, sc.level) for sc in scenarios.values()]
    try:
        form = assemble_form(
            blueprint,
            pool,
            seed,
            seen=await repo.seen_item_ids(user_id),
            exposure=await exposure.snapshot(session, now),
            balance=balancer.balance(items_by_id, scenarios) if balancer is not None else None,
        )
    except PoolTooSmall as exc:
        raise ExamUnavailable() from exc
    # Sections keep their blueprint order; items within the form are interleaved so
    # that domains do not come in blocks.
    random.Random(seed).shuffle(form)
    form.sort(key=lambda slot: slot.section)
    # A standing accommodation (extra minutes for this candidate at this exam).
    extra = (
        read.extra_minutes
        if read is not None
        else await proctoring_service.extra_minutes_for(session, user_id, exam.code)
    )
    started_at, deadline_at = attempt_times(
        now, timedelta(minutes=exam.duration_minutes + extra), schedule
    )
    attempt = Attempt(
        id=uuid.uuid4(),
        user_id=user_id,
        exam_version_id=exam.id,
        exam_code=exam.code,
        status=AttemptStatus.in_progress,
        seed=seed,
        started_at=started_at,
        deadline_at=deadline_at,
        sitting_id=schedule.sitting_id if schedule else None,
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
                option_order=option_order(list(item.option_ids), seed, item.item_id),
            )
        )
    await repo.add(attempt, items)
    await ExposureRepository(session).mark_pending(attempt.id)
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


@dataclass(frozen=True)
class Eligibility:
    """Whether the candidate may start this exam now, for the catalog and the exam's
    introduction; the start itself checks again. ``reason`` and ``allowed_from`` say
    why not and from when."""

    running_attempt_id: uuid.UUID | None = None
    code: str | None = None
    reason: str | None = None
    allowed_from: str | None = None

    @property
    def can_start(self) -> bool:
        return self.code is None


async def eligibility(
    session: AsyncSession, clock: Clock, user_id: uuid.UUID, exam: ExamVersion
) -> Eligibility:
    history = await AttemptRepository(session).history(user_id, exam.code)
    now = clock.now()
    running = next((a for a in history if a.status == AttemptStatus.in_progress), None)
    if running is not None and running.deadline_at > now:
        return Eligibility(running_attempt_id=running.id)
    try:
        await _check_eligibility(
            session, user_id, exam, exams_service.blueprint_of(exam), history, now
        )
    except AssayError as refusal:
        allowed = refusal.details.get("allowed_from")
        return Eligibility(
            code=refusal.code,
            reason=refusal.message,
            allowed_from=str(allowed)[:10] if allowed else None,
        )
    return Eligibility()


async def _check_eligibility(
    session: AsyncSession,
    user_id: uuid.UUID,
    exam: ExamVersion,
    blueprint: BlueprintSpec,
    history: Sequence[Attempt],
    now: datetime,
) -> None:
    # A sitting's cancellation closed these attempts: they count in no rule below.
    history = [a for a in history if a.status != AttemptStatus.cancelled]
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
        titles = [await exams_service.exam_title(session, code) for code in missing]
        raise PrerequisiteMissing(
            f"This exam needs a current {' and '.join(titles)} certificate first.",
            missing=missing,
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
