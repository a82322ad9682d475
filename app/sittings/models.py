from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Latecomers(enum.StrEnum):
    """What a candidate who checks in after the start gets: the whole duration from their
    own start, or the time left until the sitting's end."""

    full_duration = "full_duration"
    sitting_end = "sitting_end"


class Sitting(Base):
    """A scheduled sitting of one exam: candidates check in from ``check_in_opens_at``
    until ``check_in_closes_at``, and every checked-in clock starts at ``starts_at``."""

    __tablename__ = "sittings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    exam_code: Mapped[str] = mapped_column(String(64), index=True)
    starts_at: Mapped[datetime]
    check_in_opens_at: Mapped[datetime]
    check_in_closes_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    # Seats taken: counted by the check-in that takes one, in its own transaction.
    checked_in: Mapped[int] = mapped_column(Integer, default=0)
    latecomers: Mapped[Latecomers] = mapped_column(
        Enum(Latecomers, native_enum=False, length=16, validate_strings=True)
    )
    # Only the candidates on its roster may check in (else: any signed-in candidate).
    roster_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    # Cancelled by an admin: no check-in, its checked-in attempts cancelled.
    cancelled_at: Mapped[datetime | None]
    # The start before the latest move (shown to the candidates checked in).
    moved_from: Mapped[datetime | None]
    # The admin's reason for the latest move or the cancellation, for the candidates.
    notice: Mapped[str | None] = mapped_column(String(500))


class RosterEntry(Base):
    __tablename__ = "sitting_roster"

    sitting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sittings.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
