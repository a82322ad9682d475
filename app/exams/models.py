"""Published content. Exams and items are versioned rows: editing a file in the bank
makes a new version on the next load, and attempts keep pointing at the version they
were given."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class ExamVersion(Base):
    __tablename__ = "exam_versions"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(32))
    track: Mapped[str] = mapped_column(String(64))
    # Renewal exams name the exam whose certificates they renew.
    renews: Mapped[str | None] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    pass_mark: Mapped[float] = mapped_column(Float)
    validity_months: Mapped[int] = mapped_column(Integer)
    # The whole validated blueprint (sections, draws, retake rules) as loaded.
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class ItemVersion(Base):
    __tablename__ = "item_versions"
    __table_args__ = (
        UniqueConstraint("item_id", "version"),
        Index("ix_item_versions_pool", "domain", "level", "is_current"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    item_id: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    domain: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(16))
    difficulty: Mapped[float] = mapped_column(Float)
    tags: Mapped[list[Any]]
    stem: Mapped[str] = mapped_column(Text)
    # [{id, text}] in authored order; per-attempt order lives on the attempt item.
    options: Mapped[list[Any]]
    key: Mapped[list[Any]]
    rationale: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    # Set by an applied regrade (app/regrading): how this delivered version is scored
    # from then on (app.grading.scoring.KeyCorrection as JSON); None: by its key.
    key_correction: Mapped[dict[str, Any] | None]
