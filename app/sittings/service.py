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
from app.core.clock import Clock
from app.exams import service as exams_service
from app.grading.scenarios import Scenario
from app.identity import service as identity_service
from app.identity.models import Role
from app.sittings.exceptions import (
    CheckInClosed,
    CheckInNotOpen,
    InvalidSitting,
    NotOnRoster,
    OtherAttemptRunning,
    SittingFull,
    SittingNotFound,
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
    if starts_at <= now:
        raise InvalidSitting("A sitting must start in the future.")
    if not check_in_opens_at < starts_at:
        raise InvalidSitting("Check-in must open before the sitting starts.")
    if not check_in_opens_at < closes_at < starts_at + duration:
        raise InvalidSitting(
            "Check-in must close after it opens and before the sitting's end "
            f"({(starts_at + duration).isoformat()})."
        )
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
    sitting = await repo.get(sitting_id)
    if sitting is None:
        raise SittingNotFound()
    # Checked in already (another device, a reload): the same attempt, whenever asked.
    returning = sitting.id in await attempts_service.sitting_attempt_ids(
        session, user_id, [sitting.id]
    )
    if not returning:
        if sitting.roster_only and not await repo.on_roster(sitting.id, user_id):
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
    )
    if not started.created:
        if started.attempt.sitting_id != sitting.id:
            raise OtherAttemptRunning()
        return started
    # Last, so the seat's row is locked only until the commit that follows.
    if not await repo.take_seat(sitting.id):
        raise SittingFull()
    return started
