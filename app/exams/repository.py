from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.exams.models import ExamVersion, ItemVersion


class ExamRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current_exams(self) -> Sequence[ExamVersion]:
        result = await self.session.execute(
            select(ExamVersion).where(ExamVersion.is_current).order_by(ExamVersion.code)
        )
        return result.scalars().all()

    async def current_exam(self, code: str) -> ExamVersion | None:
        result = await self.session.execute(
            select(ExamVersion).where(ExamVersion.code == code, ExamVersion.is_current)
        )
        return result.scalar_one_or_none()

    async def has_exam(self, code: str) -> bool:
        """Whether any version of the exam was ever published (retired ones included)."""
        result = await self.session.execute(
            select(ExamVersion.id).where(ExamVersion.code == code).limit(1)
        )
        return result.first() is not None

    async def exam_version(self, version_id: uuid.UUID) -> ExamVersion | None:
        return await self.session.get(ExamVersion, version_id)

    async def current_items(self) -> Sequence[ItemVersion]:
        result = await self.session.execute(select(ItemVersion).where(ItemVersion.is_current))
        return result.scalars().all()

    async def drawable_items(
        self,
    ) -> Sequence[tuple[uuid.UUID, str, str, str, str, list[Any], float]]:
        """(id, item_id, type, domain, level, options, difficulty) of every current item
        version."""
        result = await self.session.execute(
            select(
                ItemVersion.id,
                ItemVersion.item_id,
                ItemVersion.type,
                ItemVersion.domain,
                ItemVersion.level,
                ItemVersion.options,
                ItemVersion.difficulty,
            )
            .where(ItemVersion.is_current, ItemVersion.retired.is_(False))
            .order_by(ItemVersion.item_id)
        )
        return [tuple(row) for row in result.all()]

    async def item_versions(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ItemVersion]:
        result = await self.session.execute(select(ItemVersion).where(ItemVersion.id.in_(ids)))
        return {row.id: row for row in result.scalars()}

    async def versions_of_item(self, item_id: str) -> Sequence[ItemVersion]:
        result = await self.session.execute(
            select(ItemVersion).where(ItemVersion.item_id == item_id).order_by(ItemVersion.version)
        )
        return result.scalars().all()

    async def items_with_history(self) -> Sequence[ItemVersion]:
        """Every version of every item published more than once, by item and version."""
        several = (
            select(ItemVersion.item_id)
            .group_by(ItemVersion.item_id)
            .having(func.count() > 1)
            .scalar_subquery()
        )
        result = await self.session.execute(
            select(ItemVersion)
            .where(ItemVersion.item_id.in_(several))
            .order_by(ItemVersion.item_id, ItemVersion.version)
        )
        return result.scalars().all()

    async def set_key_correction(
        self, ids: Sequence[uuid.UUID], correction: dict[str, Any] | None
    ) -> None:
        await self.session.execute(
            update(ItemVersion).where(ItemVersion.id.in_(ids)).values(key_correction=correction)
        )

    async def retire_exam_versions(self, code: str) -> None:
        await self.session.execute(
            update(ExamVersion).where(ExamVersion.code == code).values(is_current=False)
        )

    async def retire_item_versions(self, item_id: str) -> None:
        await self.session.execute(
            update(ItemVersion).where(ItemVersion.item_id == item_id).values(is_current=False)
        )

    def add(self, row: ExamVersion | ItemVersion) -> None:
        self.session.add(row)
