"""Item analysis as the pages read it: computed by the SQL aggregates, kept per process
for ``max_age`` and refreshed in the background.

A view finds the analysis it needs here. None yet: computed in the request (the first
view after start-up). Older than ``max_age``: the kept one is shown (with its time) and
one refresh task starts in this process, which computes in its own session and replaces
the entry. So at 20,000 attempts, where one computation takes seconds
(bench/item_stats.py), a page never waits for it twice. The refresh is a task of this
process, not a job of the job port: a job would run in a worker (on PostgreSQL) and
refresh the worker's memory, not the memory of the process that serves the page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.authoring import service
from app.core.clock import Clock
from app.core.db import session_scope

log = structlog.get_logger("assay.authoring")


@dataclass(frozen=True)
class BankAnalysis:
    """Every item version of one exam (all exams with ``None``), with its drift."""

    items: list[service.ItemReport]
    drift: dict[Any, Any]


@dataclass(frozen=True)
class Kept:
    value: Any
    computed_at: datetime


async def _bank(session: AsyncSession, exam: str | None) -> BankAnalysis:
    items = await service.item_report(session, exam_code=exam)
    drift = await service.drift(session, [r.item_version_id for r in items])
    return BankAnalysis(items, drift)


async def _items(session: AsyncSession, exam: str | None) -> list[service.ItemReport]:
    return await service.item_report(session, exam_code=exam)


async def _exam(session: AsyncSession, exam: str | None) -> tuple[Any, Any]:
    return (
        await service.exam_report(session, exam_code=exam),
        await service.check_report(session, exam_code=exam),
    )


COMPUTE: dict[str, Callable[[AsyncSession, str | None], Awaitable[Any]]] = {
    "bank": _bank,  # the bank page: an exam's items with drift
    "items": _items,  # the item page: every item version's statistics
    "exam": _exam,  # the exam page: its versions' reports and hidden checks
}


class AnalysisCache:
    def __init__(self, clock: Clock, max_age: timedelta) -> None:
        self.clock = clock
        self.max_age = max_age
        self._kept: dict[tuple[str, str | None], Kept] = {}
        self._refreshing: dict[tuple[str, str | None], asyncio.Task[None]] = {}

    async def get(
        self,
        session: AsyncSession,
        sessionmaker: async_sessionmaker[AsyncSession],
        kind: str,
        exam: str | None,
    ) -> Kept:
        key = (kind, exam)
        kept = self._kept.get(key)
        if kept is None:
            kept = Kept(await COMPUTE[kind](session, exam), self.clock.now())
            self._kept[key] = kept
        elif self.clock.now() - kept.computed_at >= self.max_age and key not in self._refreshing:
            self._refreshing[key] = asyncio.get_running_loop().create_task(
                self._refresh(sessionmaker, key)
            )
        return kept

    async def settle(self) -> None:
        """Waits for the refreshes under way (tests, shutdown)."""
        while self._refreshing:
            await asyncio.gather(*self._refreshing.values(), return_exceptions=True)

    async def _refresh(
        self, sessionmaker: async_sessionmaker[AsyncSession], key: tuple[str, str | None]
    ) -> None:
        """Recomputes one entry. A failure keeps the old one and lets the next view start
        the refresh again."""
        try:
            started = self.clock.now()
            async with session_scope(sessionmaker) as session:
                value = await COMPUTE[key[0]](session, key[1])
            self._kept[key] = Kept(value, started)
            log.info("item analysis refreshed", kind=key[0], exam=key[1])
        except Exception:
            log.exception("item analysis refresh failed", kind=key[0], exam=key[1])
        finally:
            self._refreshing.pop(key, None)
