"""Proctoring's tables: what happened during an attempt (events, the clients seen), what
the rules made of it (flags), the review queue and its decisions, and the audit chain."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Severity(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Severity.low: 1, Severity.medium: 2, Severity.high: 3}


class ReviewState(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    invalidated = "invalidated"


def _enum(cls: type[enum.StrEnum], length: int) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class AttemptEvent(Base):
    """Something that happened during an attempt: reported by the exam page (``client``:
    focus lost, paste, ...) or seen by the server (``server``: a login, a new address, a
    second session, extra time). ``at`` is the server's time; ``client_at`` is the page's
    claim, kept as evidence and never trusted for ordering."""

    __tablename__ = "attempt_events"
    __table_args__ = (Index("ix_attempt_events_attempt_at", "attempt_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    client_at: Mapped[datetime | None]
    data: Mapped[dict[str, Any]]


class AttemptClient(Base):
    """A browser session (one sign-in: a hash of its token) seen working on an attempt,
    and the address it last came from."""

    __tablename__ = "attempt_clients"

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    session_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(200))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class Flag(Base):
    """What a rule made of the evidence: a reason for a person to look, never a verdict.
    ``key`` tells apart several flags of one rule (one per similar peer)."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("attempt_id", "rule", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(80))
    severity: Mapped[Severity] = mapped_column(_enum(Severity, 8))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Review(Base):
    """An attempt in the review queue: flagged, sampled or held by a proctor. ``hold``
    means no certificate is issued until a proctor approves."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_queue", "state", "severity_rank", "queued_at"),)

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    exam_code: Mapped[str] = mapped_column(String(64))
    state: Mapped[ReviewState] = mapped_column(_enum(ReviewState, 16))
    hold: Mapped[bool] = mapped_column(Boolean)
    # flagged, sampled or held (by a proctor)
    queued_because: Mapped[str] = mapped_column(String(16))
    severity: Mapped[Severity | None] = mapped_column(_enum(Severity, 8))
    # 0 when no flag: the queue sorts on it, most severe first.
    severity_rank: Mapped[int] = mapped_column(Integer)
    flag_count: Mapped[int] = mapped_column(Integer)
    queued_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[uuid.UUID | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)


class SubmissionFingerprint(Base):
    """The normalised token shingles of a candidate's own changes to a scenario (what is
    in neither the workspace nor the reference solution), kept to compare later
    submissions of the same exam with."""

    __tablename__ = "submission_fingerprints"
    __table_args__ = (Index("ix_submission_fingerprints_peers", "exam_code", "scenario_id"),)

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    ref: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[uuid.UUID]
    exam_code: Mapped[str] = mapped_column(String(64))
    scenario_id: Mapped[str] = mapped_column(String(64))
    shingles: Mapped[list[Any]]
    created_at: Mapped[datetime]


class Accommodation(Base):
    """Extra minutes a candidate gets on every attempt at an exam started after the
    grant (the latest grant for the pair stands; 0 withdraws it)."""

    __tablename__ = "accommodations"
    __table_args__ = (UniqueConstraint("user_id", "exam_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    exam_code: Mapped[str] = mapped_column(String(64))
    extra_minutes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[uuid.UUID | None]
    granted_at: Mapped[datetime]


class AuditEntry(Base):
    """One link of the audit chain: ``hash`` covers this entry's fields and the previous
    entry's hash. No foreign keys: the trail outlives the rows it speaks of."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None]
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    subject: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
