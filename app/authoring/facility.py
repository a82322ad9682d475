"""Facility (share answering right) per item version, from the recorded outcomes: what
form balancing uses in place of the author's estimate once an item has enough responses.
One GROUP BY over ``item_outcomes``, run by the background pass at most every
ASSAY_FACILITY_REFRESH_SECONDS (app/attempts/balance.py), never by a start."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authoring.models import ItemOutcome


async def facility_by_version(session: AsyncSession, min_responses: int) -> dict[uuid.UUID, float]:
    n = func.count()
    result = await session.execute(
        select(ItemOutcome.item_version_id, n, func.sum(ItemOutcome.correct))
        .group_by(ItemOutcome.item_version_id)
        .having(n >= min_responses)
    )
    return {version_id: int(right) / int(count) for version_id, count, right in result}
