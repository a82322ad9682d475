"""Counting the requests this process failed (500) or shed (503), per minute, in memory:
one dictionary increment on an error, nothing on a success. The background pass moves
the counts to the database (see service.flush_failures)."""

from __future__ import annotations

from datetime import datetime


def window_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


class FailureCounter:
    def __init__(self) -> None:
        self._counts: dict[datetime, int] = {}

    def count(self, at: datetime) -> None:
        window = window_of(at)
        self._counts[window] = self._counts.get(window, 0) + 1

    def take(self) -> dict[datetime, int]:
        counts, self._counts = self._counts, {}
        return counts

    def put_back(self, counts: dict[datetime, int]) -> None:
        """Counts a failed flush could not store, kept for the next pass."""
        for window, n in counts.items():
            self._counts[window] = self._counts.get(window, 0) + n
