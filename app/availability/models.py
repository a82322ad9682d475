from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Heartbeat(Base):
    """A serving process, alive at ``last_seen`` (its background pass writes it)."""

    __tablename__ = "service_heartbeats"

    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    last_seen: Mapped[datetime] = mapped_column(index=True)


class FailureWindow(Base):
    """Requests a process answered 500 or 503 in one minute (``window`` is its start)."""

    __tablename__ = "service_failures"

    window: Mapped[datetime] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class ServiceGap(Base):
    """A time the service was down (no serving process had a heartbeat) or shedding.
    ``key`` makes recording it idempotent whichever process sees it first."""

    __tablename__ = "service_gaps"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "down" or "shedding"
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    seconds: Mapped[int] = mapped_column(Integer)
    detected_at: Mapped[datetime]
    # Set once every attempt in progress during the gap has its credit.
    credited_at: Mapped[datetime | None] = mapped_column(index=True)


class DeadlineCredit(Base):
    """One attempt's deadline extended for one gap: at most once (the primary key)."""

    __tablename__ = "deadline_credits"

    gap_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_gaps.id", ondelete="CASCADE"), primary_key=True
    )
    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seconds: Mapped[int] = mapped_column(Integer)
    credited_at: Mapped[datetime]
