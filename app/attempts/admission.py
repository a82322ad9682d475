"""Admission: at most ``capacity`` starts (a start, a check-in, a renewal start) run at
once; past that a candidate waits in line, first come first served, and is told their
place and when to ask again (202 with ``Retry-After``). Nothing is created while they
wait, so the wait never runs on their clock; a check-in remembers when they first asked
(``Admitted.arrived_at``), so a wait that runs past a sitting's start is not counted
either (``timing.attempt_times``).

One port, two lines. ``MemoryLine`` (SQLite, one process) keeps the line in this
process. ``SharedLine`` (PostgreSQL, app/attempts/shared_admission.py) keeps it in the
database, so the capacity is for every API process together and a candidate keeps their
place (and when they arrived) whichever process they ask. In both a place not asked for
again within ``ticket_seconds`` is given up, and a start that never says it is over (its
process died) frees its slot after ``ADMITTED_LEASE``.

The estimate of the wait is ``position * seconds per start / capacity`` (``estimate``):
the line moves by ``capacity`` places every start's time. The seconds a start takes come
from where the line is: ``MemoryLine`` keeps a moving average of its own starts
(``StartTimes``); ``SharedLine`` one moving average of the starts of every process, kept
in the database, so every process tells a waiter the same. Before any start has ended,
both say ``DEFAULT_START_SECONDS``."""

from __future__ import annotations

import math
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from fastapi import status
from fastapi.responses import JSONResponse

from app.attempts.schemas import AdmissionWaitOut

# Retry at least this often, so a freed place is not left idle for long.
MAX_RETRY_SECONDS = 10
# A start holds its slot at most this long (a process that died mid-start frees it then).
ADMITTED_LEASE = timedelta(minutes=2)
# The seconds a start takes, until one has ended and says (a guess).
DEFAULT_START_SECONDS = 0.5


@dataclass(frozen=True)
class Admitted:
    at: datetime
    arrived_at: datetime
    # The slot's row in the shared line (None in memory).
    slot: int | None = None


@dataclass(frozen=True)
class Waiting:
    position: int
    retry_after_seconds: int
    estimated_wait_seconds: int


class AdmissionWait(Exception):
    """Raised by the admission dependency; rendered as the 202 of ``wait_response``."""

    def __init__(self, waiting: Waiting) -> None:
        super().__init__("waiting for admission")
        self.waiting = waiting


class AdmissionLine(Protocol):
    capacity: int

    async def enter(self, key: uuid.UUID, now: datetime) -> Admitted | Waiting:
        """Admits ``key`` (a candidate) if a slot is free and nobody is ahead of them,
        or keeps (or takes) their place in line."""
        ...

    async def leave(self, admitted: Admitted, now: datetime) -> None:
        """The admitted start is over (done or failed): its slot is free."""
        ...


def estimate(position: int, capacity: int, start_seconds: float) -> Waiting:
    """The answer to a waiter: ``position`` places ahead of the slots, ``capacity`` of
    which free every ``start_seconds`` (whole seconds, at least one; asked again within
    ``MAX_RETRY_SECONDS`` at most)."""
    wait = max(1, math.ceil(position * start_seconds / capacity))
    return Waiting(position, min(wait, MAX_RETRY_SECONDS), wait)


class StartTimes:
    """How long a start takes in this process (moving average), for the in-memory
    line's estimate."""

    def __init__(self, seconds: float = DEFAULT_START_SECONDS) -> None:
        self.seconds = seconds

    def record(self, admitted: Admitted, now: datetime) -> None:
        self.seconds = 0.9 * self.seconds + 0.1 * took_seconds(admitted, now)

    def waiting(self, position: int, capacity: int) -> Waiting:
        return estimate(position, capacity, self.seconds)


def took_seconds(admitted: Admitted, now: datetime) -> float:
    """How long the admitted start took, ending ``now``."""
    return max(0.0, (now - admitted.at).total_seconds())


@dataclass
class _Place:
    arrived_at: datetime
    last_asked: datetime


class MemoryLine:
    """The line of one process (the embedded setup)."""

    def __init__(
        self, capacity: int, *, ticket_seconds: float, start_seconds: float = DEFAULT_START_SECONDS
    ) -> None:
        self.capacity = capacity
        self.ticket = timedelta(seconds=ticket_seconds)
        self.in_flight = 0
        self.times = StartTimes(start_seconds)
        self._line: OrderedDict[uuid.UUID, _Place] = OrderedDict()
        self._swept_at: datetime | None = None

    async def enter(self, key: uuid.UUID, now: datetime) -> Admitted | Waiting:
        self._forget_abandoned(now)
        free = self.capacity - self.in_flight
        place = self._line.get(key)
        if place is None:
            if not self._line and free > 0:
                self.in_flight += 1
                return Admitted(now, now)
            place = self._line[key] = _Place(now, now)
        place.last_asked = now
        position = list(self._line).index(key) + 1
        if position <= free:
            del self._line[key]
            self.in_flight += 1
            return Admitted(now, place.arrived_at)
        return self.times.waiting(position, self.capacity)

    async def leave(self, admitted: Admitted, now: datetime) -> None:
        self.in_flight -= 1
        self.times.record(admitted, now)

    @property
    def waiting(self) -> int:
        return len(self._line)

    def _forget_abandoned(self, now: datetime) -> None:
        # A scan of the line, at most once a second.
        if self._swept_at is not None and now - self._swept_at < timedelta(seconds=1):
            return
        self._swept_at = now
        for key in [k for k, p in self._line.items() if now - p.last_asked > self.ticket]:
            del self._line[key]


def wait_response(waiting: Waiting) -> JSONResponse:
    body = AdmissionWaitOut(
        position=waiting.position,
        retry_after_seconds=waiting.retry_after_seconds,
        estimated_wait_seconds=waiting.estimated_wait_seconds,
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Retry-After": str(waiting.retry_after_seconds)},
    )
