from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class ItemOutcome(Base):
    """How one scored attempt answered one choice item, in the item's own option ids.

    Derived from the attempt item and its response when the attempt is scored, so the
    statistics are SQL aggregates over plain columns (the per-attempt option labels and
    the key comparison need Python, once). ``answer`` is the sorted chosen option ids
    joined by commas, empty for an omitted item."""

    __tablename__ = "item_outcomes"
    __table_args__ = (
        Index("ix_item_outcomes_item_version", "item_version_id"),
        Index("ix_item_outcomes_exam_version", "exam_version_id"),
    )

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    ref: Mapped[str] = mapped_column(String(16), primary_key=True)
    exam_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exam_versions.id"))
    item_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("item_versions.id"))
    answer: Mapped[str] = mapped_column(String(64))
    correct: Mapped[int] = mapped_column(Integer)
