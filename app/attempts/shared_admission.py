"""The admission line in PostgreSQL, shared by every API process (app/attempts/admission.py
holds the port and the in-memory line).

One row per place: a candidate waiting (``admitted_at`` null, at most one such row per
candidate) or a start in flight (``admitted_at`` set). Each row has a lease: a waiter's
runs ``ticket`` past their last ask, a start's ``ADMITTED_LEASE`` past its admission, so
a candidate who went away, or a process that died mid-start, gives its place or slot
up by itself. An ask is one short transaction under a transaction advisory lock (the
line changes one ask at a time, across processes): expired rows go, the candidate's
place is taken or renewed, and the slots in flight and their position come from one
query; admitted, their row becomes a slot. The table is UNLOGGED (migration
af3f383d3b65): a crash of the database empties the line, which sends everyone to its
back once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Index, Integer, and_, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from app.attempts.admission import ADMITTED_LEASE, Admitted, StartTimes, Waiting
from app.core.db import Base

# pg_advisory_xact_lock key of the line ("assay" "adm" in ASCII).
LINE_LOCK = 0x6173736179_61646D


class AdmissionPlace(Base):
    __tablename__ = "admission_line"
    __table_args__ = (
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

    # Order of arrival at the database: first come, first served across processes,
    # whatever their clocks say.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    # The candidate.
    key: Mapped[uuid.UUID]
    arrived_at: Mapped[datetime]
    lease_until: Mapped[datetime] = mapped_column(index=True)
    admitted_at: Mapped[datetime | None]


class SharedLine:
    def __init__(self, engine: AsyncEngine, capacity: int, *, ticket_seconds: float) -> None:
        self.engine = engine
        self.capacity = capacity
        self.ticket = timedelta(seconds=ticket_seconds)
        self.times = StartTimes()

    async def enter(self, key: uuid.UUID, now: datetime) -> Admitted | Waiting:
        t = AdmissionPlace
        async with self.engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LINE_LOCK})
            await conn.execute(delete(t).where(t.lease_until < now))
            upsert = insert(t).values(key=key, arrived_at=now, lease_until=now + self.ticket)
            place, arrived_at = (
                await conn.execute(
                    upsert.on_conflict_do_update(
                        index_elements=[t.key],
                        index_where=t.admitted_at.is_(None),
                        set_={"lease_until": upsert.excluded.lease_until},
                    ).returning(t.seq, t.arrived_at)
                )
            ).one()
            in_flight, position = (
                await conn.execute(
                    select(
                        func.count().filter(t.admitted_at.is_not(None)),
                        func.count().filter(
                            and_(
                                t.admitted_at.is_(None),
                                t.seq <= place,
                            )
                        ),
                    )
                )
            ).one()
            if position > self.capacity - in_flight:
                return self.times.waiting(position, self.capacity)
            await conn.execute(
                update(t)
                .where(t.seq == place)
                .values(admitted_at=now, lease_until=now + ADMITTED_LEASE)
            )
        return Admitted(now, arrived_at, place)

    async def leave(self, admitted: Admitted, now: datetime) -> None:
        self.times.record(admitted, now)
        async with self.engine.begin() as conn:
            await conn.execute(delete(AdmissionPlace).where(AdmissionPlace.seq == admitted.slot))
