from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
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


class PipelineRun(Base):
    """One run of a scenario's entry command that the candidate asked for during the
    attempt: what it printed, shown to them and to proctors, never judged. The row is
    the job's state, like ``ScenarioRun``."""

    __tablename__ = "pipeline_runs"
    __table_args__ = (Index("ix_pipeline_runs_attempt_ref", "attempt_id", "ref"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(16))
    # queued -> running -> done | error (error: no sandbox would start; not counted)
    status: Mapped[str] = mapped_column(String(8))
    scenario_id: Mapped[str] = mapped_column(String(64))
    scenario_version: Mapped[int] = mapped_column(Integer)
    # The command as run (``python`` + these) and the candidate's saved files it ran on.
    entry: Mapped[list[Any]]
    files: Mapped[dict[str, Any]]
    params: Mapped[dict[str, Any] | None]
    attempts_made: Mapped[int] = mapped_column(Integer, default=0)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    timed_out: Mapped[bool] = mapped_column(Boolean, default=False)
    stdout: Mapped[str | None] = mapped_column(Text)
    stderr: Mapped[str | None] = mapped_column(Text)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class CheckCorrectionRow(Base):
    """A regrade's correction to one hidden check, in force for every version of the
    scenario up to ``up_to_version``: final scores are computed under it from then on
    (``grading.corrections``). One row per check; a later correction replaces it."""

    __tablename__ = "check_corrections"

    scenario_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    check_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    up_to_version: Mapped[int] = mapped_column(Integer)
    # drop | award (app.grading.corrections)
    change: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
