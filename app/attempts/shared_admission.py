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

The wait a waiter is told comes from the same database, so every process says the same
(migration c2a7e4f19d58). The leave marks its own place with how long the start took
(``took_seconds``: one row each, no row every start writes); the next ask, whichever
process sends it, under the lock it takes anyway, deletes the places so marked and folds
them into one moving average (``admission_start_time``: weight 0.1 a start as the
in-memory ``StartTimes``, the first start ever taken as it is, not averaged with a
guess), and a waiting answer carries that average (read by its key: 0.02 ms). Only
asks write that row, one at a time under the lock, so no two statements ever queue on
it. A first version kept a ring of 64 buckets that the leaves wrote concurrently and a
waiting ask averaged by scanning: after 4,000 starts from 16 askers its one page had
grown to 44 and the average cost 0.3-0.8 ms inside the lock (bench/README.md). Until a
start has ended the estimate is ``DEFAULT_START_SECONDS``.
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
        # The starts over, folded into the average by the next ask.
        Index(
            "ix_admission_line_ended",
            "seq",
            postgresql_where=text("took_seconds IS NOT NULL"),
            sqlite_where=text("took_seconds IS NOT NULL"),
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
    # Set by the leave: the start is over and took this long (until the next ask).
    took_seconds: Mapped[float | None] = mapped_column(Float)


class StartTime(Base):
    """How long a start takes (moving average) for the whole deployment: one row, written
    only by an ask under the line's lock."""

    __tablename__ = "admission_start_time"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seconds: Mapped[float] = mapped_column(Float)
    # Starts folded in so far.
    starts: Mapped[int] = mapped_column(BigInteger)


# Places counted exactly, beyond the capacity; further back the position is estimated.
EXACT_PLACES = 1000
_ENTER = (
    "SELECT slot, arrived, waiting_position, start_seconds"
    " FROM assay_admission_enter($1, $2, $3, $4, $5, $6)"
)
# The start is over: its place is marked with how long it took (the next ask folds it in).
_LEAVE = "UPDATE admission_line SET took_seconds = $2 WHERE seq = $1"


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
