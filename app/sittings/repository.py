"""Every query about sittings. Seats are counted on the sitting's row by the check-in
that takes one, in a statement that refuses the seat past capacity: two check-ins
racing for the last seat cannot both get it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.models import Attempt
from app.exams.models import ExamVersion
from app.proctoring.models import Accommodation
from app.sittings.models import RosterEntry, Sitting


@dataclass(frozen=True)
class CheckInRead:
    """What a check-in judges, read in one statement: the sitting, its exam's current
    version (None: withdrawn), whether its roster names the candidate, the candidate's
    attempts at the exam, newest first (their attempt in this sitting among them, once
    checked in), and their standing extra minutes at it."""

    sitting: Sitting
    exam: ExamVersion | None
    on_roster: bool
    history: Sequence[Attempt]
    extra_minutes: int


class SittingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, sitting: Sitting, roster: Sequence[uuid.UUID]) -> None:
        self.session.add(sitting)
        await self.session.flush()
        if roster:
            await self.session.execute(
                insert(RosterEntry), [{"sitting_id": sitting.id, "user_id": u} for u in roster]
            )

    async def get(self, sitting_id: uuid.UUID, *, for_update: bool = False) -> Sitting | None:
        # Locked by a move or a cancellation: a check-in reads the row before it takes a
        # seat, whose UPDATE then waits for the decision to commit.
        return await self.session.get(Sitting, sitting_id, with_for_update=for_update)

    async def for_check_in(self, sitting_id: uuid.UUID, user_id: uuid.UUID) -> CheckInRead | None:
        """One row per attempt of the candidate at the sitting's exam (one row without
        an attempt when there is none), the sitting's columns repeated; at most one
        accommodation per candidate and exam."""
        rostered = (
            exists()
            .where(RosterEntry.sitting_id == Sitting.id, RosterEntry.user_id == user_id)
            .correlate(Sitting)
        )
        result = await self.session.execute(
            select(Sitting, ExamVersion, rostered, Accommodation.extra_minutes, Attempt)
            .select_from(Sitting)
            .outerjoin(
                ExamVersion,
                and_(ExamVersion.code == Sitting.exam_code, ExamVersion.is_current),
            )
            .outerjoin(
                Accommodation,
                and_(
                    Accommodation.user_id == user_id, Accommodation.exam_code == Sitting.exam_code
                ),
            )
            .outerjoin(
                Attempt, and_(Attempt.user_id == user_id, Attempt.exam_code == Sitting.exam_code)
            )
            .where(Sitting.id == sitting_id)
            .order_by(Attempt.started_at.desc())
        )
        rows = result.all()
        if not rows:
            return None
        sitting, exam, on_roster, extra, _ = rows[0]
        # The identity map hands each attempt over once per row it is on.
        history = list(dict.fromkeys(row[4] for row in rows if row[4] is not None))
        return CheckInRead(sitting, exam, bool(on_roster), history, extra or 0)

    async def take_seat(self, sitting_id: uuid.UUID, starts_at: datetime) -> bool:
        """A seat, unless the sitting is full, was cancelled, or no longer starts at
        ``starts_at`` (the start the check-in's clock was set by): a move or a cancellation
        committed meanwhile is seen here (the UPDATE waits for its row lock)."""
        result = await self.session.execute(
            update(Sitting)
            .where(
                Sitting.id == sitting_id,
                Sitting.checked_in < Sitting.capacity,
                Sitting.cancelled_at.is_(None),
                Sitting.starts_at == starts_at,
            )
            .values(checked_in=Sitting.checked_in + 1)
            .returning(Sitting.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    async def open_at(self, now: datetime, exam_code: str | None) -> Sequence[Sitting]:
        """Sittings whose check-in has not closed, soonest first."""
        stmt = select(Sitting).where(
            Sitting.check_in_closes_at > now, Sitting.cancelled_at.is_(None)
        )
        if exam_code is not None:
            stmt = stmt.where(Sitting.exam_code == exam_code)
        result = await self.session.execute(stmt.order_by(Sitting.starts_at, Sitting.id))
        return result.scalars().all()

    async def rostered(
        self, sitting_ids: Sequence[uuid.UUID], user_id: uuid.UUID
    ) -> set[uuid.UUID]:
        if not sitting_ids:
            return set()
        result = await self.session.execute(
            select(RosterEntry.sitting_id).where(
                RosterEntry.sitting_id.in_(sitting_ids), RosterEntry.user_id == user_id
            )
        )
        return set(result.scalars())
