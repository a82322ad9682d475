"""Watermarks for the incremental batch jobs: the state a job keeps between runs is
one timestamp, stored by the scheduler as JSON.

Timestamps are ISO-8601 UTC strings in one format (``2024-03-18T02:00:00+00:00``), so
they compare and sort as text.
"""

from datetime import datetime, timedelta


def lookback_start(watermark, days):
    """``watermark`` moved ``days`` back, in the same format."""
    start = datetime.fromisoformat(watermark) - timedelta(days=days)
    return start.isoformat(timespec="seconds")


def advance(watermark, rows, column):
    """The newest ``column`` value among ``rows``; ``watermark`` when there are none."""
    return max((row[column] for row in rows), default=watermark)
