"""The regrades' queries. Reads the attempts a correction touches in batches by attempt
id (keyset), so a preview or an apply over any history holds one batch at a time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.models import Attempt, AttemptItem, AttemptStatus, Response
from app.regrading.models import Regrade, RegradeResult, RegradeStatus

# A regrade rescores finished attempts: scored ones and passes held for review. Attempts
# still open or grading are scored later under the correction (it is on the version).
RESCORED = (AttemptStatus.scored, AttemptStatus.under_review)


class RegradeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, regrade: Regrade) -> None:
        self.session.add(regrade)

    async def get(self, regrade_id: uuid.UUID, *, for_update: bool = False) -> Regrade | None:
        return await self.session.get(Regrade, regrade_id, with_for_update=for_update)

    async def listing(self) -> Sequence[Regrade]:
        result = await self.session.execute(
            select(Regrade).order_by(Regrade.proposed_at.desc(), Regrade.id)
        )
        return result.scalars().all()

    async def applying(self, item_id: str | None = None) -> Sequence[Regrade]:
        query = select(Regrade).where(Regrade.status == RegradeStatus.applying)
        if item_id is not None:
            query = query.where(Regrade.item_id == item_id)
        return (await self.session.execute(query)).scalars().all()

    async def affected_attempts(
        self,
        version_ids: Sequence[uuid.UUID],
        after: uuid.UUID | None,
        limit: int,
        *,
        not_done_by: uuid.UUID | None = None,
    ) -> Sequence[Attempt]:
        """The next ``limit`` finished attempts (by id, after ``after``) that were given
        one of these versions; with ``not_done_by``, only those that regrade has not
        rescored yet."""
        query = (
            select(Attempt)
            .where(
                Attempt.status.in_(RESCORED),
                exists().where(
                    AttemptItem.attempt_id == Attempt.id,
                    AttemptItem.item_version_id.in_(version_ids),
                ),
            )
            .order_by(Attempt.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Attempt.id > after)
        if not_done_by is not None:
            query = query.where(
                ~exists().where(
                    and_(
                        RegradeResult.regrade_id == not_done_by,
                        RegradeResult.attempt_id == Attempt.id,
                    )
                )
            )
        return (await self.session.execute(query)).scalars().all()

    async def forms(self, attempt_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[AttemptItem]]:
        result = await self.session.execute(
            select(AttemptItem).where(AttemptItem.attempt_id.in_(attempt_ids))
        )
        forms: dict[uuid.UUID, list[AttemptItem]] = {}
        for slot in result.scalars():
            forms.setdefault(slot.attempt_id, []).append(slot)
        return forms

    async def responses(
        self, attempt_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, dict[str, Response]]:
        result = await self.session.execute(
            select(Response).where(Response.attempt_id.in_(attempt_ids))
        )
        answers: dict[uuid.UUID, dict[str, Response]] = {}
        for response in result.scalars():
            answers.setdefault(response.attempt_id, {})[response.ref] = response
        return answers

    def add_result(self, result: RegradeResult) -> None:
        self.session.add(result)

    async def results(self, regrade_id: uuid.UUID, limit: int) -> Sequence[RegradeResult]:
        result = await self.session.execute(
            select(RegradeResult)
            .where(RegradeResult.regrade_id == regrade_id, RegradeResult.outcome != "unchanged")
            .order_by(RegradeResult.exam_code, RegradeResult.attempt_id)
            .limit(limit)
        )
        return result.scalars().all()

    async def outcome_counts(self, regrade_id: uuid.UUID) -> list[tuple[str, str, int]]:
        result = await self.session.execute(
            select(RegradeResult.exam_code, RegradeResult.outcome, func.count())
            .where(RegradeResult.regrade_id == regrade_id)
            .group_by(RegradeResult.exam_code, RegradeResult.outcome)
        )
        return [(code, outcome, int(n)) for code, outcome, n in result]
