from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.models import AttemptItem
from app.exams.models import ItemVersion


async def keyed_labels(
    sessionmaker: async_sessionmaker[AsyncSession], attempt_id: str
) -> dict[str, list[str]]:
    """For each ref, the labels (a, b, ...) the candidate must pick to be right."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(AttemptItem.ref, AttemptItem.option_order, ItemVersion.key)
            .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
            .where(AttemptItem.attempt_id == uuid.UUID(attempt_id))
        )
        return {ref: sorted("abcde"[order.index(k)] for k in key) for ref, order, key in rows}


def wrong_labels(right: list[str]) -> list[str]:
    return [next(label for label in "abcd" if label not in right)]
