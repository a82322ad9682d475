"""What a start balances its form's difficulty on (app.exams.forms.Balance): each
item's facility where its current version has at least ASSAY_FORM_BALANCE_MIN_RESPONSES
recorded responses, the author's estimate otherwise; a scenario's estimate where its
scenario.yaml gives one. Facility comes from a per-process snapshot read again at most
every ASSAY_FACILITY_REFRESH_SECONDS (like the exposure counters): a start never
aggregates history."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncSession

from app.authoring.facility import facility_by_version
from app.exams.forms import Balance
from app.exams.models import ItemVersion
from app.grading.scenarios import Scenario


class FormBalancer:
    def __init__(self, max_age: timedelta, min_responses: int, tolerance: float) -> None:
        self.max_age = max_age
        self.min_responses = min_responses
        self.tolerance = tolerance
        self._snapshot: Mapping[uuid.UUID, float] | None = None
        self._read_at: datetime | None = None
        self._lock = asyncio.Lock()

    def _fresh(self, now: datetime) -> bool:
        return self._read_at is not None and now - self._read_at < self.max_age

    async def facility(self, session: AsyncSession, now: datetime) -> Mapping[uuid.UUID, float]:
        if self._snapshot is not None and (self._fresh(now) or self._lock.locked()):
            return self._snapshot
        async with self._lock:
            if self._snapshot is None or not self._fresh(now):
                self._snapshot = MappingProxyType(
                    await facility_by_version(session, self.min_responses)
                )
                self._read_at = now
            return self._snapshot

    async def balance(
        self,
        session: AsyncSession,
        now: datetime,
        items: Mapping[str, ItemVersion],
        scenarios: Mapping[str, Scenario],
    ) -> Balance:
        facility = await self.facility(session, now)
        expected = {item_id: facility.get(row.id, row.difficulty) for item_id, row in items.items()}
        for scenario in scenarios.values():
            if scenario.difficulty is not None:
                expected[scenario.id] = scenario.difficulty
        return Balance(expected, self.tolerance)
