"""Admission: at most ``capacity`` starts (a start, a check-in) run at once in this
process; past that a candidate waits in line, first come first served, and is told
their place and when to ask again (202 with ``Retry-After``). Nothing is created while
they wait, so the wait never runs on their clock; a check-in remembers when they first
asked (``Admitted.arrived_at``), so a wait that runs past a sitting's start is not
counted either (``timing.attempt_times``).

The line is per process: behind several API processes each keeps its own, and a
candidate keeps their place by asking the same process again (a proxy's sticky routing);
asking another one only starts a new place there. A place not asked for again within
``ticket_seconds`` is given up."""

from __future__ import annotations

import math
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import status
from fastapi.responses import JSONResponse

from app.attempts.schemas import AdmissionWaitOut

# Retry at least this often, so a freed place is not left idle for long.
MAX_RETRY_SECONDS = 10


@dataclass(frozen=True)
class Admitted:
    at: datetime
    arrived_at: datetime


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


@dataclass
class _Place:
    arrived_at: datetime
    last_asked: datetime


class Admission:
    def __init__(self, capacity: int, *, ticket_seconds: float, start_seconds: float = 0.5) -> None:
        self.capacity = capacity
        self.ticket = timedelta(seconds=ticket_seconds)
        self.in_flight = 0
        # How long a start takes here (moving average), for the estimate.
        self.start_seconds = start_seconds
        self._line: OrderedDict[uuid.UUID, _Place] = OrderedDict()
        self._swept_at: datetime | None = None

    def try_enter(self, key: uuid.UUID, now: datetime) -> Admitted | Waiting:
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
        wait = max(1, math.ceil(position * self.start_seconds / self.capacity))
        return Waiting(position, min(wait, MAX_RETRY_SECONDS), wait)

    def leave(self, admitted: Admitted, now: datetime) -> None:
        self.in_flight -= 1
        took = (now - admitted.at).total_seconds()
        self.start_seconds = 0.9 * self.start_seconds + 0.1 * took

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
