"""Scheduled sittings: an admin schedules one (exam, start, check-in window, capacity,
roster or open); candidates check in during the window, which runs the start of an
attempt (eligibility, the form drawn, the attempt created) with its clock set to start
at the sitting's start; at that moment every checked-in clock starts at once, with
nothing written (``attempts.timing``). A latecomer checking in after the start gets the
whole duration or the time to the sitting's end, as the sitting says."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts import service as attempts_service
from app.attempts.exposure import ExposureCache
from app.certificates import outbox
from app.core.clock import Clock
from app.exams import service as exams_service
from app.grading.scenarios import Scenario
from app.identity import service as identity_service
from app.identity.models import Role
from app.proctoring import audit
from app.proctoring.audit import Actor
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
from app.sittings.models import Latecomers, Sitting
from app.sittings.repository import SittingRepository

# Check-in stays open this long after the start unless the admin says otherwise.
DEFAULT_LATE_CHECK_IN = timedelta(minutes=15)


@dataclass(frozen=True)
class SittingView:
    sitting: Sitting
    duration_minutes: int
    # The caller's attempt in it, once checked in.
    attempt_id: uuid.UUID | None

    @property
    def ends_at(self) -> datetime:
        return self.sitting.starts_at + timedelta(minutes=self.duration_minutes)


async def schedule(
    session: AsyncSession,
    clock: Clock,
    created_by: uuid.UUID,
    *,
    exam_code: str,
    starts_at: datetime,
    check_in_opens_at: datetime,
    check_in_closes_at: datetime | None,
    capacity: int,
    latecomers: Latecomers,
    roster: Sequence[str] | None,
) -> SittingView:
    exam = await exams_service.get_exam(session, exam_code)
    duration = timedelta(minutes=exam.duration_minutes)
    closes_at = check_in_closes_at or min(
        starts_at + DEFAULT_LATE_CHECK_IN, starts_at + duration / 2
    )
    now = clock.now()
    _check_times(now, starts_at, check_in_opens_at, closes_at, duration)
    user_ids: list[uuid.UUID] = []
    if roster is not None:
        found = await identity_service.user_ids_by_email(session, roster)
        unknown = sorted({e.strip().lower() for e in roster} - set(found))
        if unknown:
            raise InvalidSitting(
                f"No account for {len(unknown)} roster email(s): {', '.join(unknown[:10])}.",
                unknown=unknown,
            )
        user_ids = list(found.values())
    sitting = Sitting(
        id=uuid.uuid4(),
        exam_code=exam.code,
        starts_at=starts_at,
        check_in_opens_at=check_in_opens_at,
        check_in_closes_at=closes_at,
        capacity=capacity,
        checked_in=0,
        latecomers=latecomers,
        roster_only=roster is not None,
        created_by=created_by,
        created_at=now,
    )
    await SittingRepository(session).add(sitting, user_ids)
    return SittingView(sitting, exam.duration_minutes, None)


def _check_times(
    now: datetime,
    starts_at: datetime,
    opens_at: datetime,
    closes_at: datetime,
    duration: timedelta,
) -> None:
    if starts_at <= now:
        raise InvalidSitting("A sitting must start in the future.")
    if not opens_at < starts_at:
        raise InvalidSitting("Check-in must open before the sitting starts.")
    if not opens_at < closes_at < starts_at + duration:
        raise InvalidSitting(
            "Check-in must close after it opens and before the sitting's end "
            f"({(starts_at + duration).isoformat()})."
        )


async def open_sittings(
    session: AsyncSession, clock: Clock, user_id: uuid.UUID, role: Role, exam_code: str | None
) -> list[SittingView]:
    """Sittings still open for check-in; a candidate sees the open ones and those whose
    roster names them, staff see every one."""
    repo = SittingRepository(session)
    sittings = await repo.open_at(clock.now(), exam_code)
    if role == Role.candidate:
        rostered = await repo.rostered([s.id for s in sittings if s.roster_only], user_id)
        sittings = [s for s in sittings if not s.roster_only or s.id in rostered]
    mine = await attempts_service.sitting_attempt_ids(session, user_id, [s.id for s in sittings])
    durations: dict[str, int] = {}
    views = []
    for s in sittings:
        if s.exam_code not in durations:
            durations[s.exam_code] = (
                await exams_service.get_exam(session, s.exam_code)
            ).duration_minutes
        views.append(SittingView(s, durations[s.exam_code], mine.get(s.id)))
    return views


async def check_in(
    session: AsyncSession,
    clock: Clock,
    user_id: uuid.UUID,
    sitting_id: uuid.UUID,
    *,
    arrived_at: datetime,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    exposure: ExposureCache,
    seed: int,
) -> attempts_service.StartedAttempt:
    """The candidate's attempt in this sitting: created by the start of an attempt (every
    rule of a start applies) with its clock starting at the sitting's start, or the one
    they checked in with already. ``arrived_at``: when they first asked (before any wait
    for admission), which is what the check-in window judges."""
    repo = SittingRepository(session)
    found = await repo.for_check_in(sitting_id, user_id)
    if found is None:
        raise SittingNotFound()
    sitting = found.sitting
    if sitting.cancelled_at is not None:
        raise SittingCancelled(sitting.notice or SittingCancelled.default_message)
    # Checked in already (another device, a reload): the same attempt, whenever asked.
    returning = any(a.sitting_id == sitting.id for a in found.history)
    if not returning:
        if sitting.roster_only and not found.on_roster:
            raise NotOnRoster()
        if arrived_at < sitting.check_in_opens_at:
            raise CheckInNotOpen(
                f"Check-in opens at {sitting.check_in_opens_at.isoformat()}.",
                opens_at=sitting.check_in_opens_at.isoformat(),
            )
        if arrived_at >= sitting.check_in_closes_at:
            raise CheckInClosed()
        if sitting.checked_in >= sitting.capacity:
            raise SittingFull()
    started = await attempts_service.start_attempt(
        session,
        clock,
        user_id,
        sitting.exam_code,
        grace=grace,
        scenarios=scenarios,
        exposure=exposure,
        seed=seed,
        schedule=attempts_service.Scheduled(
            sitting_id=sitting.id,
            starts_at=sitting.starts_at,
            arrived_at=arrived_at,
            latecomers_full_duration=sitting.latecomers == Latecomers.full_duration,
        ),
        read=attempts_service.ReadAlready(found.exam, found.history, found.extra_minutes),
    )
    if not started.created:
        if started.attempt.sitting_id != sitting.id:
            raise OtherAttemptRunning()
        return started
    # Last, so the seat's row is locked only until the commit that follows.
    starts_at = sitting.starts_at
    if not await repo.take_seat(sitting.id, starts_at):
        await session.refresh(sitting)
        if sitting.cancelled_at is not None:
            raise SittingCancelled(sitting.notice or SittingCancelled.default_message)
        if sitting.starts_at != starts_at:
            raise SittingMoved()
        raise SittingFull()
    return started


# --- Moving and cancelling (admins) ------------------------------------------------------


async def reschedule(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    sitting_id: uuid.UUID,
    *,
    starts_at: datetime | None,
    check_in_opens_at: datetime | None,
    check_in_closes_at: datetime | None,
    reason: str,
) -> SittingView:
    """Moves a sitting that has not started: a new start moves the check-in window with
    it unless a new window is given. The candidates checked in keep their attempt, whose
    clock now starts at the new start with the same length; they are mailed. Audited."""
    sitting = await _changeable(session, clock, sitting_id)
    exam = await exams_service.get_exam(session, sitting.exam_code)
    old_start = sitting.starts_at
    new_start = starts_at or old_start
    shift = new_start - old_start
    opens_at = check_in_opens_at or sitting.check_in_opens_at + shift
    closes_at = check_in_closes_at or sitting.check_in_closes_at + shift
    _check_times(
        clock.now(), new_start, opens_at, closes_at, timedelta(minutes=exam.duration_minutes)
    )
    sitting.starts_at = new_start
    sitting.check_in_opens_at = opens_at
    sitting.check_in_closes_at = closes_at
    if new_start != old_start:
        sitting.moved_from = old_start
    sitting.notice = reason
    moved = 0
    if new_start != old_start:
        moved = await attempts_service.move_sitting_clocks(
            session, sitting.id, old_start, new_start
        )
    await session.flush()
    await audit.append(
        session,
        clock,
        actor,
        "sitting_moved",
        subject=f"sitting:{sitting.id}",
        details={
            "reason": reason,
            "starts_at": new_start.isoformat(),
            "previous_starts_at": old_start.isoformat(),
            "check_in_opens_at": opens_at.isoformat(),
            "check_in_closes_at": closes_at.isoformat(),
            "attempts_moved": moved,
        },
    )
    await _notify(
        session,
        clock,
        await attempts_service.sitting_candidates(session, sitting.id),
        kind="sitting_moved",
        subject=f"Your {exam.title} sitting now starts at {_when(new_start)}",
        text=(
            f"The {exam.title} sitting you are checked in to was moved.\n"
            f"It now starts at {_when(new_start)} (it was {_when(old_start)}). "
            "Your place and your questions are kept, and your time starts then.\n\n"
            f"Reason: {reason}\n"
        ),
    )
    return SittingView(sitting, exam.duration_minutes, None)


async def cancel(
    session: AsyncSession, clock: Clock, actor: Actor, sitting_id: uuid.UUID, *, reason: str
) -> SittingView:
    """Cancels a sitting that has not started: no more check-ins, and every attempt
    checked in to it is closed without a score (``cancelled``: no certificate, counted
    in no rule of a later start, so its candidates may check in to another sitting or
    start at once). They are mailed. Audited."""
    sitting = await _changeable(session, clock, sitting_id)
    exam = await exams_service.get_exam(session, sitting.exam_code)
    sitting.cancelled_at = clock.now()
    sitting.notice = reason
    cancelled = await attempts_service.cancel_sitting_attempts(session, sitting.id)
    await session.flush()
    await audit.append(
        session,
        clock,
        actor,
        "sitting_cancelled",
        subject=f"sitting:{sitting.id}",
        details={
            "reason": reason,
            "starts_at": sitting.starts_at.isoformat(),
            "attempts_cancelled": len(cancelled),
        },
    )
    await _notify(
        session,
        clock,
        [user_id for _, user_id in cancelled],
        kind="sitting_cancelled",
        subject=f"Your {exam.title} sitting at {_when(sitting.starts_at)} is cancelled",
        text=(
            f"The {exam.title} sitting you were checked in to, at {_when(sitting.starts_at)}, "
            "is cancelled. Your check-in is closed without a score and does not count as "
            "an attempt: you can check in to another sitting or start the exam again.\n\n"
            f"Reason: {reason}\n"
        ),
    )
    return SittingView(sitting, exam.duration_minutes, None)


async def get_sitting(session: AsyncSession, sitting_id: uuid.UUID) -> Sitting | None:
    return await SittingRepository(session).get(sitting_id)


async def _changeable(session: AsyncSession, clock: Clock, sitting_id: uuid.UUID) -> Sitting:
    sitting = await SittingRepository(session).get(sitting_id, for_update=True)
    if sitting is None:
        raise SittingNotFound()
    if sitting.cancelled_at is not None:
        raise SittingCancelled()
    if clock.now() >= sitting.starts_at:
        raise SittingStarted()
    return sitting


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


async def _notify(
    session: AsyncSession,
    clock: Clock,
    user_ids: Sequence[uuid.UUID],
    *,
    kind: str,
    subject: str,
    text: str,
) -> None:
    users = await identity_service.users_by_id(session, user_ids)
    for user_id in user_ids:
        user = users.get(user_id)
        if user is None:
            continue
        await outbox.queue_notice(
            session,
            clock,
            kind=kind,
            recipient=user.email,
            subject=subject,
            body=f"Hello {user.full_name},\n\n{text}",
        )
