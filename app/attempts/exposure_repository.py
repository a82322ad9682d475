"""Queries behind item exposure: the counters form assembly reads, the per-attempt
backlog a start writes, and the fold that moves the backlog into the counters. None of
them reads more than one batch of attempts or the counters themselves (one row per item
of the bank): their cost never grows with history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.models import AttemptItem, ExposurePending, ItemExposure
from app.exams.models import ItemVersion


class ExposureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counters(self) -> dict[str, int]:
        result = await self.session.execute(select(ItemExposure.item_id, ItemExposure.shown))
        return {item_id: shown for item_id, shown in result}

    async def mark_pending(self, attempt_id: uuid.UUID) -> None:
        self.session.add(ExposurePending(attempt_id=attempt_id))

    async def take_pending(self, limit: int) -> Sequence[uuid.UUID]:
        """Removes up to ``limit`` attempts from the backlog and returns them. On
        PostgreSQL rows another fold holds are skipped, so two processes folding at once
        take disjoint batches; SQLite has one writer at a time."""
        batch = select(ExposurePending.attempt_id).order_by(ExposurePending.attempt_id).limit(limit)
        if self.session.get_bind().dialect.name == "postgresql":
            batch = batch.with_for_update(skip_locked=True)
        result = await self.session.execute(
            delete(ExposurePending)
            .where(ExposurePending.attempt_id.in_(batch.scalar_subquery()))
            .returning(ExposurePending.attempt_id)
        )
        return result.scalars().all()

    async def shown_on(self, attempt_ids: Sequence[uuid.UUID]) -> dict[str, int]:
        """Per item, how many of these attempts' forms it appears on."""
        if not attempt_ids:
            return {}
        result = await self.session.execute(
            select(ItemVersion.item_id, func.count())
            .join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id)
            .where(AttemptItem.attempt_id.in_(attempt_ids))
            .group_by(ItemVersion.item_id)
        )
        return {item_id: count for item_id, count in result}

    async def add_shown(self, counts: Mapping[str, int]) -> None:
        """Adds to the counters, in item order (two folds lock rows in the same order and
        so cannot deadlock)."""
        if not counts:
            return
        rows = [{"item_id": k, "shown": counts[k]} for k in sorted(counts)]
        insert = (
            postgresql.insert(ItemExposure)
            if self.session.get_bind().dialect.name == "postgresql"
            else sqlite.insert(ItemExposure)
        )
        stmt = insert.values(rows)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["item_id"],
                set_={"shown": ItemExposure.shown + stmt.excluded.shown},
            )
        )
