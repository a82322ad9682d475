"""Statistics shared by the platform's alerts and reports: the fraud-api latency alert,
the scoring queue-depth alert and the hourly latency report all import this module.
Changing what a function returns changes all three."""


def mean(values):
    """Arithmetic mean of ``values``; None for no values."""
    if not values:
        return None
    return sum(values) / len(values)


def percentile(values, q):
    """Nearest-rank percentile, ``q`` in percent (0 < q <= 100): the value of rank
    ceil(q * n / 100) in ascending order, rank 1 being the smallest. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-q * len(ordered) // 100))  # ceil without floating point
    return ordered[rank - 1]


def latest(items, n):
    """The last ``n`` items of a list kept oldest first (the queue-depth alert looks at
    its last n depth samples)."""
    if n <= 0:
        return []
    return items[-n:]


def in_bucket(requests, start, end):
    """The requests of the report bucket ``[start, end)``: a request at ``start`` is in
    the bucket, one at ``end`` is in the next (the hourly report's convention)."""
    return [r for r in requests if start <= r["ts"] < end]
