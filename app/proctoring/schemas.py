from __future__ import annotations

import enum
import json
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.text import Text

MAX_EVENT_DATA_BYTES = 2048


class ClientEventType(enum.StrEnum):
    """What the exam page may report."""

    focus_lost = "focus_lost"
    tab_hidden = "tab_hidden"
    paste = "paste"
    copy = "copy"
    fullscreen_left = "fullscreen_left"
    reconnect = "reconnect"


class EventIn(BaseModel):
    """``at`` is the page's clock, kept as its claim; the server's time is stored too.
    ``data`` is small flat JSON: for a paste, ``{"ref", "path", "length"}``."""

    model_config = ConfigDict(extra="forbid")

    type: ClientEventType
    at: AwareDatetime | None = None
    data: dict[Text, Text | int | bool | None] = Field(default_factory=dict, max_length=16)

    @field_validator("data")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value).encode()) > MAX_EVENT_DATA_BYTES:
            raise ValueError(f"at most {MAX_EVENT_DATA_BYTES} bytes of data")
        if any(len(key) > 40 for key in value):
            raise ValueError("keys of at most 40 characters")
        return value


class EventOut(BaseModel):
    id: uuid.UUID
    type: str
    at: datetime


class CandidateOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str


class StuckGradingOut(BaseModel):
    """A final grading that could not run after every retry: never scored, waiting for
    staff; the candidate's result says "grading delayed"."""

    run_id: uuid.UUID
    attempt_id: uuid.UUID
    exam_code: str
    ref: str
    tries: int
    submitted_at: datetime | None
    given_up_at: datetime | None


class QueueEntryOut(BaseModel):
    attempt_id: uuid.UUID
    exam_code: str
    candidate: CandidateOut
    attempt_status: str
    score: float | None
    passed: bool | None
    submitted_at: datetime | None
    review_status: str
    hold: bool
    queued_because: str
    severity: str | None
    flag_count: int
    queued_at: datetime
    age_seconds: int


class ReviewOut(BaseModel):
    status: str
    hold: bool
    queued_because: str
    severity: str | None
    flag_count: int
    queued_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None


class AttemptSummaryOut(BaseModel):
    id: uuid.UUID
    exam_code: str
    exam_title: str
    status: str
    started_at: datetime
    deadline_at: datetime
    remaining_seconds: int
    submitted_at: datetime | None
    submitted_by: str | None
    scored_at: datetime | None
    score: float | None
    passed: bool | None
    pass_mark: float
    # The receipt of the answers as closed: the same hash the candidate was shown.
    receipt: str | None = None


class FlagOut(BaseModel):
    id: uuid.UUID | None
    rule: str
    severity: str
    reason: str
    evidence: dict[str, Any]
    created_at: datetime | None
    provisional: bool


class TimelineEntryOut(BaseModel):
    at: datetime
    kind: str
    type: str
    source: str
    summary: str
    data: dict[str, Any]


class FileDiffOut(BaseModel):
    path: str
    diff: str


class ScenarioChangesOut(BaseModel):
    ref: str
    scenario_id: str
    title: str
    files: list[FileDiffOut]


class CheckCorrectionOut(BaseModel):
    change: Literal["drop", "award"]
    regrade_id: uuid.UUID | None
    reason: str | None


class CheckVerdictOut(BaseModel):
    """A check as graded (``passed``, ``earned``) and as the result counts it under the
    correction in force (``passed_after``, ``earned_after``: null when dropped)."""

    name: str
    public: bool
    message: str
    points: int
    passed: bool
    earned: float
    passed_after: bool | None
    earned_after: float | None
    correction: CheckCorrectionOut | None


class GradingRecordOut(BaseModel):
    ref: str
    scenario_id: str
    status: str
    score: float | None
    finished_at: datetime | None
    record: dict[str, Any]
    # The receipt of the answers as closed: what this grading graded.
    receipt: str | None = None
    # The score the attempt's result counts, under the check corrections in force.
    corrected_score: float | None = None
    checks: list[CheckVerdictOut] = []


class SidePairOut(BaseModel):
    path: str
    this: str | None
    other: str | None


class SimilarPairOut(BaseModel):
    flag_id: uuid.UUID | None
    ref: str
    scenario_id: str
    similarity: float
    other_attempt_id: uuid.UUID
    other_candidate: CandidateOut | None
    files: list[SidePairOut]


class ReviewDetailOut(BaseModel):
    attempt: AttemptSummaryOut
    candidate: CandidateOut
    review: ReviewOut | None
    flags: list[FlagOut]
    timeline: list[TimelineEntryOut]
    scenarios: list[ScenarioChangesOut]
    grading: list[GradingRecordOut]
    similar: list[SimilarPairOut]
    certificate_id: str | None


class _Reasoned(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=3, max_length=2000)


class DecisionIn(_Reasoned):
    decision: Literal["approve", "hold", "invalidate"]


class DecisionOut(BaseModel):
    attempt_id: uuid.UUID
    decision: str
    attempt_status: str
    review: ReviewOut
    certificate_issued: str | None
    certificates_revoked: list[str]


class ExtraTimeIn(_Reasoned):
    minutes: int = Field(ge=1, le=240)


class ExtraTimeOut(BaseModel):
    attempt_id: uuid.UUID
    minutes: int
    deadline_at: datetime
    remaining_seconds: int


class AccommodationIn(_Reasoned):
    """The candidate by ``user_id`` or by ``email``; 0 minutes withdraws it."""

    user_id: uuid.UUID | None = None
    email: Text | None = Field(default=None, max_length=320)
    exam_code: Text = Field(min_length=1, max_length=64)
    extra_minutes: int = Field(ge=0, le=240)

    @model_validator(mode="after")
    def _one_candidate(self) -> AccommodationIn:
        if (self.user_id is None) == (not self.email):
            raise ValueError("give the candidate's user_id or email (one of them)")
        return self


class AccommodationOut(BaseModel):
    user_id: uuid.UUID
    exam_code: str
    extra_minutes: int
    reason: str
    granted_at: datetime
