from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class AttemptStatus(enum.StrEnum):
    in_progress = "in_progress"
    submitted = "submitted"
    grading = "grading"
    scored = "scored"
    under_review = "under_review"
    # Its sitting was cancelled before it started: closed without a score, counted in no
    # rule of a start (attempt limit, retake wait).
    cancelled = "cancelled"


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_user_exam", "user_id", "exam_code"),
        Index("ix_attempts_status_deadline", "status", "deadline_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    exam_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exam_versions.id"))
    exam_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[AttemptStatus] = mapped_column(
        Enum(AttemptStatus, native_enum=False, length=20, validate_strings=True)
    )
    # The seed the form was drawn with, so a form can be reproduced and audited.
    seed: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    # "candidate" or "deadline": who ended the attempt.
    submitted_by: Mapped[str | None] = mapped_column(String(16))
    scored_at: Mapped[datetime | None]
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    section_scores: Mapped[list[Any] | None]
    # The receipt (app/attempts/receipts.py) of the answers as closed: what was scored.
    receipt: Mapped[str | None] = mapped_column(String(64))
    # The sitting it was checked in to (app/sittings); its clock starts with the sitting.
    sitting_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sittings.id", ondelete="SET NULL")
    )


class AttemptItem(Base):
    """One question on one attempt's form, as the candidate sees it."""

    __tablename__ = "attempt_items"

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    ref: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    section: Mapped[int] = mapped_column(Integer)
    item_version_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("item_versions.id"))
    # Authored option ids in the order shown; the candidate sees a, b, c... in this order.
    option_order: Mapped[list[Any] | None]
    # For scenario items: which scenario, at the version the attempt was given.
    scenario_id: Mapped[str | None] = mapped_column(String(64))
    scenario_version: Mapped[int | None] = mapped_column(Integer)
    # The variant this attempt got: the scenario's parameters drawn from the attempt's
    # seed (None for a scenario without parameters).
    scenario_params: Mapped[dict[str, Any] | None]


class Response(Base):
    """The latest acknowledged answer to one item. ``seq`` only ever grows.
    ``first_answered_at`` is the time of the first save that held an answer (a choice,
    or a scenario's files): set by the save that first gives one, never moved by later
    saves (item analysis times the first answer, not the last change)."""

    __tablename__ = "responses"

    attempt_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    choices: Mapped[list[Any] | None]
    files: Mapped[dict[str, Any] | None]
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    saved_at: Mapped[datetime]
    first_answered_at: Mapped[datetime | None]
    # This answer's own digest (app/attempts/receipts.py), written with it.
    digest: Mapped[str | None] = mapped_column(String(64))

    # Answers only to refs that the attempt's form really has.
    __table_args__ = (
        ForeignKeyConstraint(
            ["attempt_id", "ref"],
            ["attempt_items.attempt_id", "attempt_items.ref"],
            ondelete="CASCADE",
        ),
    )


class ItemExposure(Base):
    """How many forms each item (over all its versions) has appeared on: the counters
    form assembly balances, folded from ``exposure_pending`` by the background pass so
    that a start never aggregates history and never writes a shared row."""

    __tablename__ = "item_exposure"

    item_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shown: Mapped[int] = mapped_column(Integer)


class ExposurePending(Base):
    """An attempt whose items are not yet counted in ``item_exposure``. Written by the
    start (a new row, so simultaneous starts do not contend), deleted by the fold that
    counts it: each attempt is counted exactly once."""

    __tablename__ = "exposure_pending"

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
