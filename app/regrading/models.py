from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class RegradeStatus(enum.StrEnum):
    proposed = "proposed"
    applying = "applying"
    applied = "applied"


class Regrade(Base):
    """A correction to one delivered item's key or one delivered scenario's hidden check:
    proposed by an author, previewed, applied by an admin with a reason.

    An item regrade has ``item_id``; ``item_version_ids`` are the versions it corrects
    (every version of the item published when it was proposed). A check regrade has
    ``scenario_id`` and ``check_name`` and covers the scenario's versions up to
    ``scenario_version`` (the version installed when it was proposed). Attempts given
    later versions got the author's newer content and are not touched."""

    __tablename__ = "regrades"
    __table_args__ = (Index("ix_regrades_status", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    item_id: Mapped[str | None] = mapped_column(String(32), index=True)
    scenario_id: Mapped[str | None] = mapped_column(String(64))
    check_name: Mapped[str | None] = mapped_column(String(128))
    scenario_version: Mapped[int | None] = mapped_column(Integer)
    # An item: rekey | accept | drop (app.grading.scoring.KeyCorrection); a check: drop |
    # award (app.grading.corrections).
    change: Mapped[str] = mapped_column(String(16))
    key: Mapped[list[Any]]
    item_version_ids: Mapped[list[Any]]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[RegradeStatus] = mapped_column(
        Enum(RegradeStatus, native_enum=False, length=16, validate_strings=True)
    )
    proposed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    proposed_at: Mapped[datetime]
    applied_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The admin's email, for the audit entries the background job writes in their name.
    applied_by_label: Mapped[str | None] = mapped_column(String(320))
    apply_reason: Mapped[str | None] = mapped_column(Text)
    # keep | revoke: the drop policy in force when the apply was asked for.
    drop_policy: Mapped[str | None] = mapped_column(String(16))
    applied_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def target(self) -> str:
        """What it corrects, for people: an item id, or a scenario's check."""
        if self.check_name is not None:
            return f"check {self.check_name} of scenario {self.scenario_id}"
        return f"item {self.item_id}"


class RegradeResult(Base):
    """One attempt rescored by a regrade: its score and pass before and after. The row is
    written in the transaction that changes the attempt, so it is also the apply job's
    bookmark: an attempt with a row is done, whatever happens to the job."""

    __tablename__ = "regrade_results"

    regrade_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("regrades.id", ondelete="CASCADE"), primary_key=True
    )
    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    exam_code: Mapped[str] = mapped_column(String(64))
    old_score: Mapped[float] = mapped_column(Float)
    new_score: Mapped[float] = mapped_column(Float)
    passed_before: Mapped[bool] = mapped_column(Boolean)
    passed_after: Mapped[bool] = mapped_column(Boolean)
    # unchanged | changed | new_pass | pass_kept | pass_revoked (app/regrading/impact.py)
    outcome: Mapped[str] = mapped_column(String(16))
    certificate_id: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime]
