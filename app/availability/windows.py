"""Time windows (pure): how much of one window others leave uncovered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def uncovered(
    starts_at: datetime, ends_at: datetime, covered: Iterable[tuple[datetime, datetime]]
) -> timedelta:
    """The part of ``[starts_at, ends_at)`` that none of the ``covered`` windows overlaps
    (they may overlap each other)."""
    left = ends_at - starts_at
    cursor = starts_at
    for start, end in sorted(covered):
        start, end = max(start, cursor), min(end, ends_at)
        if start < end:
            left -= end - start
            cursor = end
    return max(left, timedelta(0))
