"""The availability step of a serving process's background pass."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.availability import service
from app.availability.failures import FailureCounter
from app.core.clock import Clock
from app.core.db import session_scope

log = structlog.get_logger("assay.availability")


class AvailabilityMonitor:
    """One per serving process: its heartbeat, its failure counts, and the detection
    and credit of gaps, each step its own transaction."""

    def __init__(self, started_at: datetime, counter: FailureCounter) -> None:
        self.process_id = f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.started_at = started_at
        self.counter = counter

    async def run(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        policy: service.GapPolicy,
    ) -> int:
        """Returns how many attempts were credited. Run before the sweeper submits
        overdue attempts, so that time owed is given first."""
        await self.beat(sessionmaker, clock, policy)
        async with session_scope(sessionmaker) as session:
            return await service.credit_gaps(session, clock)

    async def beat(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        policy: service.GapPolicy,
    ) -> None:
        """Failure counts stored, gaps detected, then this process's heartbeat (in that
        order: a heartbeat first would hide the gap it ends)."""
        async with session_scope(sessionmaker) as session:
            await service.flush_failures(session, self.process_id, self.counter)
        async with session_scope(sessionmaker) as session:
            await service.detect_gaps(session, clock, policy)
            await service.beat(session, clock, self.process_id, self.started_at)

    async def beat_forever(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        policy: service.GapPolicy,
        interval: float,
    ) -> None:
        """Heartbeats on their own loop, so that a slow background pass (a long sweep,
        a slow mail server) is not taken for an outage."""
        while True:
            try:
                await self.beat(sessionmaker, clock, policy)
            except Exception:
                log.exception("heartbeat failed; will retry")
            await asyncio.sleep(interval)
