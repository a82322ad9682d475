"""Every query about the service's availability record."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.models import Attempt, AttemptStatus
from app.availability.models import DeadlineCredit, FailureWindow, Heartbeat, ServiceGap


class AvailabilityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self, model: Any) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (postgresql if dialect == "postgresql" else sqlite).insert(model)

    async def beat(self, process_id: str, started_at: datetime, now: datetime) -> None:
        stmt = self._insert(Heartbeat).values(
            process_id=process_id, started_at=started_at, last_seen=now
        )
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["process_id"], set_={"last_seen": now})
        )

    async def last_seen(self) -> datetime | None:
        return (await self.session.execute(select(func.max(Heartbeat.last_seen)))).scalar()

    async def add_failures(self, process_id: str, window: datetime, count: int) -> None:
        stmt = self._insert(FailureWindow).values(window=window, process_id=process_id, count=count)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["window", "process_id"],
                set_={"count": FailureWindow.count + stmt.excluded.count},
            )
        )

    async def shedding_windows(
        self, since: datetime, until: datetime, at_least: int
    ) -> Sequence[datetime]:
        result = await self.session.execute(
            select(FailureWindow.window)
            .where(FailureWindow.window >= since, FailureWindow.window <= until)
            .group_by(FailureWindow.window)
            .having(func.sum(FailureWindow.count) >= at_least)
            .order_by(FailureWindow.window)
        )
        return result.scalars().all()

    async def down_overlapping(self, starts_at: datetime, ends_at: datetime) -> bool:
        result = await self.session.execute(
            select(ServiceGap.id)
            .where(
                ServiceGap.kind == "down",
                ServiceGap.starts_at < ends_at,
                ServiceGap.ends_at > starts_at,
            )
            .limit(1)
        )
        return result.first() is not None

    async def record_gap(self, gap: ServiceGap) -> bool:
        """Records the gap unless one with its key exists; True if this call recorded it."""
        stmt = (
            self._insert(ServiceGap)
            .values(
                id=gap.id,
                key=gap.key,
                kind=gap.kind,
                starts_at=gap.starts_at,
                ends_at=gap.ends_at,
                seconds=gap.seconds,
                detected_at=gap.detected_at,
                credited_at=None,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(ServiceGap.id)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def uncredited_gaps(self) -> Sequence[ServiceGap]:
        """Locked, and skipped when another process holds them (PostgreSQL)."""
        result = await self.session.execute(
            select(ServiceGap)
            .where(ServiceGap.credited_at.is_(None))
            .order_by(ServiceGap.starts_at)
            .with_for_update(skip_locked=True)
        )
        return result.scalars().all()

    async def attempts_running_through(self, gap: ServiceGap) -> Sequence[Attempt]:
        """Attempts still running that had started before the gap ended and were open
        when it began, without a credit for it yet; locked."""
        credited = select(DeadlineCredit.attempt_id).where(DeadlineCredit.gap_id == gap.id)
        result = await self.session.execute(
            select(Attempt)
            .where(
                Attempt.status == AttemptStatus.in_progress,
                Attempt.started_at < gap.ends_at,
                Attempt.deadline_at > gap.starts_at,
                Attempt.id.not_in(credited),
            )
            .order_by(Attempt.id)
            .with_for_update()
        )
        return result.scalars().all()

    async def add_credit(self, credit: DeadlineCredit) -> None:
        self.session.add(credit)
        await self.session.flush()

    async def credited_windows(
        self, attempt_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[datetime, datetime]]]:
        """The windows of the gaps each of these attempts has a credit for."""
        windows: dict[uuid.UUID, list[tuple[datetime, datetime]]] = {i: [] for i in attempt_ids}
        if not attempt_ids:
            return windows
        result = await self.session.execute(
            select(DeadlineCredit.attempt_id, ServiceGap.starts_at, ServiceGap.ends_at)
            .join(ServiceGap, ServiceGap.id == DeadlineCredit.gap_id)
            .where(DeadlineCredit.attempt_id.in_(attempt_ids))
        )
        for attempt_id, starts_at, ends_at in result:
            windows[attempt_id].append((starts_at, ends_at))
        return windows

    async def credited_seconds(self, attempt_id: uuid.UUID) -> int:
        result = await self.session.execute(
            select(func.coalesce(func.sum(DeadlineCredit.seconds), 0)).where(
                DeadlineCredit.attempt_id == attempt_id
            )
        )
        return int(result.scalar_one())

    async def gaps(self) -> Sequence[ServiceGap]:
        result = await self.session.execute(select(ServiceGap).order_by(ServiceGap.starts_at))
        return result.scalars().all()
