"""The regrades' queries. Reads the attempts a correction touches in batches by attempt
id (keyset), so a preview or an apply over any history holds one batch at a time: for an
item, attempts given one of its corrected versions; for a check, attempts with a final
grading of one of the scenario's corrected versions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.models import Attempt, AttemptItem, AttemptStatus, Response
from app.grading.models import ScenarioRun
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

    async def applying(self, like: Regrade | None = None) -> Sequence[Regrade]:
        """The regrades being applied; with ``like``, those correcting the same item or
        the same check."""
        query = select(Regrade).where(Regrade.status == RegradeStatus.applying)
        if like is not None and like.check_name is not None:
            query = query.where(
                Regrade.scenario_id == like.scenario_id, Regrade.check_name == like.check_name
            )
        elif like is not None:
            query = query.where(Regrade.item_id == like.item_id)
        return (await self.session.execute(query)).scalars().all()

    async def check_regrades(self, scenario_ids: Sequence[str]) -> Sequence[Regrade]:
        """The check regrades of these scenarios put in force (applying or applied),
        in the order they were applied."""
        result = await self.session.execute(
            select(Regrade)
            .where(
                Regrade.check_name.is_not(None),
                Regrade.scenario_id.in_(scenario_ids),
                Regrade.status.in_((RegradeStatus.applying, RegradeStatus.applied)),
            )
            .order_by(Regrade.applied_at, Regrade.id)
        )
        return result.scalars().all()

    @staticmethod
    def _touched(regrade: Regrade) -> Any:
        if regrade.check_name is not None:
            return exists().where(
                ScenarioRun.attempt_id == Attempt.id,
                ScenarioRun.kind == "final",
                ScenarioRun.status == "done",
                ScenarioRun.scenario_id == regrade.scenario_id,
                ScenarioRun.scenario_version <= (regrade.scenario_version or 0),
            )
        return exists().where(
            AttemptItem.attempt_id == Attempt.id,
            AttemptItem.item_version_id.in_([uuid.UUID(str(v)) for v in regrade.item_version_ids]),
        )

    async def affected_attempts(
        self,
        regrade: Regrade,
        after: uuid.UUID | None,
        limit: int,
        *,
        not_done: bool = False,
    ) -> Sequence[Attempt]:
        """The next ``limit`` finished attempts (by id, after ``after``) the regrade
        touches; with ``not_done``, only those it has not rescored yet."""
        query = (
            select(Attempt)
            .where(Attempt.status.in_(RESCORED), self._touched(regrade))
            .order_by(Attempt.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Attempt.id > after)
        if not_done:
            query = query.where(
                ~exists().where(
                    and_(
                        RegradeResult.regrade_id == regrade.id,
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
