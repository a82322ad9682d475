"""An attempt's clock (pure): when it starts, when it ends, and what it is at a moment.

An attempt checked in to a sitting is stored running from the sitting's start, with its
deadline computed then (``starts_at + duration``): nothing is written when the sitting
starts, so thousands of clocks start at once at no cost. Before ``started_at`` it is
``checked_in``: its items are closed and nothing can be saved, run or submitted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from app.attempts.models import AttemptStatus

CHECKED_IN = "checked_in"


@dataclass(frozen=True)
class Scheduled:
    """A sitting's timing for the attempt a check-in creates. ``arrived_at`` is when the
    candidate first asked (a wait for admission after it is never counted against them);
    ``latecomers_full_duration``: a latecomer gets the whole duration from their own start,
    otherwise the sitting's end."""

    sitting_id: uuid.UUID
    starts_at: datetime
    arrived_at: datetime
    latecomers_full_duration: bool


def attempt_times(
    now: datetime, duration: timedelta, schedule: Scheduled | None
) -> tuple[datetime, datetime]:
    """(started_at, deadline_at) of an attempt created at ``now``."""
    if schedule is None:
        return now, now + duration
    if now <= schedule.starts_at:
        return schedule.starts_at, schedule.starts_at + duration
    if schedule.latecomers_full_duration:
        return now, now + duration
    # The sitting's end, moved by the part of an admission wait that fell after the start.
    waited = now - max(schedule.arrived_at, schedule.starts_at)
    return now, schedule.starts_at + duration + waited


class Clocked(Protocol):
    """An attempt as its clock needs it: the row, or a hot read of it (``hot.StateRow``)."""

    @property
    def status(self) -> AttemptStatus: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def deadline_at(self) -> datetime: ...


def has_started(attempt: Clocked, now: datetime) -> bool:
    return attempt.started_at <= now


def public_status(attempt: Clocked, now: datetime) -> str:
    """The status callers see: ``checked_in`` until the clock starts."""
    if attempt.status == AttemptStatus.in_progress and not has_started(attempt, now):
        return CHECKED_IN
    return attempt.status.value


def remaining_seconds(attempt: Clocked, now: datetime) -> int:
    """Time left on the clock; a clock not yet running shows its whole length."""
    if attempt.status != AttemptStatus.in_progress:
        return 0
    return max(0, int((attempt.deadline_at - max(now, attempt.started_at)).total_seconds()))
