from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from app.core.text import Text
from app.sittings.models import Latecomers


class SittingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exam_code: Text = Field(max_length=64)
    starts_at: AwareDatetime
    check_in_opens_at: AwareDatetime
    check_in_closes_at: AwareDatetime | None = Field(
        default=None,
        description="Latest check-in; default 15 minutes after the start (at most half "
        "the exam's duration). Check-ins after the start are latecomers.",
    )
    capacity: int = Field(ge=1, le=1_000_000)
    latecomers: Latecomers = Field(
        default=Latecomers.sitting_end,
        description="sitting_end: a latecomer's time ends with the sitting; "
        "full_duration: a latecomer gets the exam's whole duration from their own start",
    )
    roster: list[Text] | None = Field(
        default=None,
        max_length=100_000,
        description="Emails of the only candidates who may check in; null: open to all",
    )


class SittingChangeIn(BaseModel):
    """A move: a new start (the check-in window moves with it unless given too) and/or a
    new check-in window, with the reason the candidates are told."""

    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime | None = None
    check_in_opens_at: AwareDatetime | None = None
    check_in_closes_at: AwareDatetime | None = None
    reason: Text = Field(min_length=3, max_length=500)

    @model_validator(mode="after")
    def _something_moves(self) -> SittingChangeIn:
        if (
            self.starts_at is None
            and self.check_in_opens_at is None
            and (self.check_in_closes_at is None)
        ):
            raise ValueError("give starts_at, check_in_opens_at or check_in_closes_at")
        return self


class SittingCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=3, max_length=500)


class SittingOut(BaseModel):
    id: uuid.UUID
    exam_code: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    check_in_opens_at: datetime
    check_in_closes_at: datetime
    capacity: int
    checked_in: int
    seats_left: int
    latecomers: Latecomers
    open: bool = Field(description="Open to every candidate (no roster)")
    check_in_open: bool = Field(description="Check-in is open now")
    attempt_id: uuid.UUID | None = Field(description="The caller's attempt, once checked in")
    cancelled_at: datetime | None = Field(default=None, description="Cancelled by an admin")
    moved_from: datetime | None = Field(
        default=None, description="The start before the latest move, if moved"
    )
    notice: str | None = Field(
        default=None, description="The admin's reason for the latest move or the cancellation"
    )
