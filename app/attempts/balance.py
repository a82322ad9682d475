"""What a start balances its form's difficulty on (app.exams.forms.Balance): each
item's facility where its current version has at least ASSAY_FORM_BALANCE_MIN_RESPONSES
recorded responses, the author's estimate otherwise; a scenario's estimate where its
scenario.yaml gives one.

Facility is an aggregate over every recorded outcome, so no start computes it: the
background pass refreshes this process's snapshot at most every
ASSAY_FACILITY_REFRESH_SECONDS, and a start reads the snapshot it finds (the authors'
estimates alone until the first refresh)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.authoring.facility import facility_by_version
from app.core.db import session_scope
from app.exams.forms import Balance
from app.exams.service import DrawableItem
from app.grading.scenarios import Scenario


class FormBalancer:
    def __init__(self, max_age: timedelta, min_responses: int, tolerance: float) -> None:
        self.max_age = max_age
        self.min_responses = min_responses
        self.tolerance = tolerance
        self._facility: Mapping[uuid.UUID, float] = MappingProxyType({})
        self._read_at: datetime | None = None

    async def refresh(self, sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> bool:
        """Reads the facilities again if the snapshot is older than ``max_age``."""
        if self._read_at is not None and now - self._read_at < self.max_age:
            return False
        async with session_scope(sessionmaker) as session:
            facility = await facility_by_version(session, self.min_responses)
        self._facility = MappingProxyType(facility)
        self._read_at = now
        return True

    def balance(
        self, items: Mapping[str, DrawableItem], scenarios: Mapping[str, Scenario]
    ) -> Balance:
        expected = {
            item_id: self._facility.get(row.id, row.difficulty) for item_id, row in items.items()
        }
        for scenario in scenarios.values():
            if scenario.difficulty is not None:
                expected[scenario.id] = scenario.difficulty
        return Balance(expected, self.tolerance)
