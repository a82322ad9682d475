"""Times as the job history and the scheduler write them: ISO-8601 with a UTC offset.
Shared with the monitoring jobs (their dashboards show ages in minutes)."""

from datetime import datetime


def instant(text):
    """An aware datetime: times written with different offsets compare as instants."""
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        raise ValueError(f"time without a UTC offset: {text!r}")
    return t


def elapsed_minutes(since, until):
    """Minutes from `since` to `until` (negative if `until` is earlier)."""
    return (instant(until) - instant(since)).total_seconds() / 60
