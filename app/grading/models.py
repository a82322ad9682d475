from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class ScenarioRun(Base):
    """One grading of one scenario item: a public-check run the candidate asked for, or
    the final hidden grading at submit. The row is the job's state."""

    __tablename__ = "scenario_runs"
    __table_args__ = (Index("ix_scenario_runs_attempt_ref", "attempt_id", "ref"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(16))
    # "public" (candidate's run of the public checks) or "final" (hidden grading)
    kind: Mapped[str] = mapped_column(String(8))
    # queued -> running -> done | error (error: grading could not run; not the candidate's)
    status: Mapped[str] = mapped_column(String(8), index=True)
    scenario_id: Mapped[str] = mapped_column(String(64))
    scenario_version: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    files: Mapped[dict[str, Any]]
    # The variant graded (the attempt item's parameters); None: no parameters.
    params: Mapped[dict[str, Any] | None]
    attempts_made: Mapped[int] = mapped_column(Integer, default=0)
    record: Mapped[dict[str, Any] | None]
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
