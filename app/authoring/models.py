from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class ItemOutcome(Base):
    """How one scored attempt answered one choice item, in the item's own option ids.

    Written when the attempt is scored, in the scoring transaction (re-scoring replaces
    the attempt's rows), so the statistics are SQL aggregates over plain columns (the
    per-attempt option labels and the key comparison need Python, once). ``answer`` is
    the sorted chosen option ids joined by commas, empty for an omitted item.
    ``repeat_taker`` is 1 when the candidate had started the same exam before.
    ``answer_seconds`` is the time to first answer: from the candidate's previous first
    answer (or the start) to this item's first answer, the items taken in the order they
    were first answered (recording.py); None for an omitted item."""

    __tablename__ = "item_outcomes"
    __table_args__ = (
        Index("ix_item_outcomes_item_version", "item_version_id"),
        Index("ix_item_outcomes_exam_version", "exam_version_id"),
        # The drift windows' order (responses of an item and group by scoring time),
        # carrying what they and the item medians read: on PostgreSQL an index-only scan.
        Index(
            "ix_item_outcomes_item_scored",
            "item_version_id",
            "repeat_taker",
            "scored_at",
            "attempt_id",
            postgresql_include=["correct", "answer_seconds"],
        ),
    )

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    ref: Mapped[str] = mapped_column(String(16), primary_key=True)
    exam_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exam_versions.id"))
    item_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("item_versions.id"))
    answer: Mapped[str] = mapped_column(String(64))
    correct: Mapped[int] = mapped_column(Integer)
    scored_at: Mapped[datetime | None]
    repeat_taker: Mapped[int] = mapped_column(Integer, server_default="0")
    answer_seconds: Mapped[float | None] = mapped_column(Float)


class CheckOutcome(Base):
    """Whether one scored attempt's scenario passed one hidden check (final grading)."""

    __tablename__ = "check_outcomes"
    __table_args__ = (
        Index("ix_check_outcomes_scenario", "scenario_id", "scenario_version"),
        Index("ix_check_outcomes_exam_version", "exam_version_id"),
    )

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    ref: Mapped[str] = mapped_column(String(16), primary_key=True)
    check_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    exam_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exam_versions.id"))
    scenario_id: Mapped[str] = mapped_column(String(64))
    scenario_version: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    scored_at: Mapped[datetime]
