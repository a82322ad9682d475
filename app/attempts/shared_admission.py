"""The admission line in PostgreSQL, shared by every API process (app/attempts/admission.py
holds the port and the in-memory line).

One row per place: a candidate waiting (``admitted_at`` null, at most one such row per
candidate) or a start in flight (``admitted_at`` set), in the order the database gave
them (``seq``: first come, first served across processes, whatever their clocks say).
Each row has a lease: a waiter's runs ``ticket`` past their last ask, a start's
``ADMITTED_LEASE`` past its admission, so a candidate who went away, or a process that
died mid-start, gives its place or slot up by itself. An ask is one round trip: the
function ``assay_admission_enter`` (migration af3f383d3b65) runs it under a transaction
advisory lock held only while it runs: expired rows deleted, the place renewed or taken,
the slots in flight counted, the position counted exactly among the first
``capacity + EXACT_PLACES`` waiting and estimated from the order numbers further back
(so an ask costs the same however long the line), the slot taken if one is free for it.
A first version sent those statements one by one from here, the lock held across the
round trips and the event loop's turns: 98 admissions (ask and leave) a second from 16
concurrent askers on this 2-core machine under load; the function does about 1,900
(bench/admission_line.py). The table is UNLOGGED: a crash of the database empties the
line, which sends everyone to its back once.

The wait a waiter is told comes from the same database, so every process says the same:
``admission_start_times`` (migration c2a7e4f19d58, UNLOGGED too) is a ring of
``RECENT_STARTS`` buckets, each holding how long the latest start whose place number
falls on it took (the number modulo the ring's size). The leave statement deletes the
start's row and writes its bucket, one round trip as before; an ask that must wait reads
the ring's average in the same statement as the function's call (a subquery run only
for a waiting answer; the function's lock lasts to the statement's end, so it is inside
the serialized part, at the cost of reading one page: a waiting ask 0.58 -> 0.60 ms,
bench/README.md). Starts end on buckets spread by their numbers, so concurrent leaves
almost never write the same row: no single row every start ends on (the leave is the
DELETE plus a HOT update of one bucket, 0.25 -> 0.39 ms). Until a start has ended the
average is ``DEFAULT_START_SECONDS``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Float, Index, Integer, text
from sqlalchemy.orm import Mapped, mapped_column

from app.attempts.admission import (
    ADMITTED_LEASE,
    DEFAULT_START_SECONDS,
    Admitted,
    Waiting,
    estimate,
    took_seconds,
)
from app.core.db import Base, DriverPool


class AdmissionPlace(Base):
    __tablename__ = "admission_line"
    __table_args__ = (
        # The starts in flight, counted at every ask.
        Index(
            "ix_admission_line_in_flight",
            "seq",
            postgresql_where=text("admitted_at IS NOT NULL"),
            sqlite_where=text("admitted_at IS NOT NULL"),
        ),
        # One waiting place per candidate (in flight, a candidate may hold two slots:
        # two tabs starting at once).
        Index(
            "uq_admission_line_waiting_key",
            "key",
            unique=True,
            postgresql_where=text("admitted_at IS NULL"),
            sqlite_where=text("admitted_at IS NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    # The candidate.
    key: Mapped[uuid.UUID]
    arrived_at: Mapped[datetime]
    lease_until: Mapped[datetime] = mapped_column(index=True)
    admitted_at: Mapped[datetime | None]


class StartTime(Base):
    """One bucket of the ring of recent start times."""

    __tablename__ = "admission_start_times"

    bucket: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seconds: Mapped[float] = mapped_column(Float)


# Places counted exactly, beyond the capacity; further back the position is estimated.
EXACT_PLACES = 1000
# The buckets of the ring: the estimate is the average of (about) the latest this many
# starts. Fixed: buckets past a smaller size would stay in the average.
RECENT_STARTS = 64
# The average only when the ask waits (the subquery is run when the CASE needs it).
_ENTER = (
    "SELECT e.slot, e.arrived, e.waiting_position, CASE WHEN e.slot IS NULL THEN"
    " (SELECT avg(t.seconds) FROM admission_start_times AS t) END AS start_seconds"
    " FROM assay_admission_enter($1, $2, $3, $4, $5, $6) AS e"
)
# A data-modifying WITH runs whatever the statement reads of it.
_LEAVE = f"""
WITH gone AS (DELETE FROM admission_line WHERE seq = $1)
INSERT INTO admission_start_times AS t (bucket, seconds) VALUES ($1 % {RECENT_STARTS}, $2)
ON CONFLICT (bucket) DO UPDATE SET seconds = excluded.seconds
"""  # noqa: S608 (constant SQL; values are bound parameters)


class SharedLine:
    """Through asyncpg's own pool (``DriverPool``): one statement per ask, on every start."""

    def __init__(self, driver: DriverPool, capacity: int, *, ticket_seconds: float) -> None:
        self.driver = driver
        self.capacity = capacity
        self.ticket = timedelta(seconds=ticket_seconds)

    async def enter(self, key: uuid.UUID, now: datetime) -> Admitted | Waiting:
        row = await self.driver.fetchrow(
            _ENTER,
            key,
            now,
            self.capacity,
            self.ticket.total_seconds(),
            ADMITTED_LEASE.total_seconds(),
            self.capacity + EXACT_PLACES,
        )
        assert row is not None  # the function always answers one row
        if row["slot"] is None:
            seconds = row["start_seconds"]
            return estimate(
                int(row["waiting_position"]),
                self.capacity,
                DEFAULT_START_SECONDS if seconds is None else float(seconds),
            )
        return Admitted(now, row["arrived"], int(row["slot"]))

    async def leave(self, admitted: Admitted, now: datetime) -> None:
        await self.driver.fetchrow(_LEAVE, admitted.slot, took_seconds(admitted, now))
