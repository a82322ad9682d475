from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.attempts.start import StartedAttempt
from app.attempts.timing import public_status, remaining_seconds
from app.core.text import Text


class FormItemOut(BaseModel):
    ref: str
    kind: str
    position: int


class AttemptStartedOut(BaseModel):
    id: uuid.UUID
    exam_code: str
    status: str = Field(description="in_progress, or checked_in until its sitting starts")
    started_at: datetime
    # When the clock starts (= started_at); for a checked-in attempt, its sitting's start.
    starts_at: datetime
    deadline_at: datetime
    remaining_seconds: int
    items: list[FormItemOut]
    sitting_id: uuid.UUID | None = None


def attempt_started_out(started: StartedAttempt, now: datetime) -> AttemptStartedOut:
    a = started.attempt
    return AttemptStartedOut(
        id=a.id,
        exam_code=a.exam_code,
        status=public_status(a, now),
        started_at=a.started_at,
        starts_at=a.started_at,
        deadline_at=a.deadline_at,
        remaining_seconds=remaining_seconds(a, now),
        items=[FormItemOut(ref=i.ref, kind=i.kind, position=i.position) for i in started.items],
        sitting_id=a.sitting_id,
    )


class ItemStateOut(FormItemOut):
    answered: bool
    flagged: bool


class AttemptStateOut(BaseModel):
    id: uuid.UUID
    exam_code: str
    status: str
    started_at: datetime
    starts_at: datetime
    # Seconds until the clock starts by the server's clock (0 once running).
    starts_in_seconds: int = 0
    deadline_at: datetime
    remaining_seconds: int
    submitted_at: datetime | None
    items: list[ItemStateOut]
    # Once closed: the receipt of the answers as closed (what is scored).
    receipt: str | None = None
    # The receipt of the answers stored now (in progress: the last acknowledgement's),
    # for the submit confirmation after a reload.
    answers_receipt: str
    # Time added to the deadline for service outages during the attempt.
    credited_seconds: int = 0


class OptionOut(BaseModel):
    id: str
    text: str
    # ``text`` rendered from Markdown on the server, safe to insert as HTML.
    html: str


class McqItemOut(BaseModel):
    ref: str
    kind: str = "mcq"
    stem: str
    stem_html: str
    multiple: bool
    options: list[OptionOut]
    answer: list[str]
    flagged: bool
    seq: int


class ScenarioItemOut(BaseModel):
    ref: str
    kind: str = "scenario"
    title: str
    brief: str
    brief_html: str
    files: dict[str, str]
    editable: list[str]
    public_checks: list[str]
    runs_left: int
    flagged: bool
    seq: int
    # The command "Run pipeline" runs (e.g. ``python run.py``); null: nothing to run.
    pipeline_command: str | None = None
    pipeline_runs_left: int = 0


class AdmissionWaitOut(BaseModel):
    """A start that waits for admission: the place in the queue and when to ask again.
    Nothing is started and no clock runs while waiting. The estimated wait is the place
    times a moving average of how long starts take, over the capacity (on PostgreSQL the
    starts of every API process: every replica tells a waiter the same)."""

    position: int
    retry_after_seconds: int
    estimated_wait_seconds: int


class RunQueuedOut(BaseModel):
    run_id: uuid.UUID


class RunCheckOut(BaseModel):
    name: str
    passed: bool
    message: str


class RunOut(BaseModel):
    status: str
    checks: list[RunCheckOut]


class PipelineRunOut(BaseModel):
    """A run of the scenario's entry command: its output, shown and never judged."""

    status: str = Field(
        description="queued, running, done, or error (could not start; not counted)"
    )
    command: str = Field(description="What ran, e.g. `python run.py`")
    exit_code: int | None = Field(
        description="The process's exit status; negative: killed by that signal (a CPU, "
        "memory or process limit); null while not done or when stopped at the time limit"
    )
    timed_out: bool = Field(description="Stopped at the scenario's run time limit")
    stdout: str
    stderr: str
    truncated: bool = Field(description="stdout or stderr went past 64 KiB and was cut there")
    duration_ms: int | None


class ResponseIn(BaseModel):
    """An autosave. ``choices`` for multiple choice, ``files`` for a scenario."""

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=0, le=2**31 - 1)
    choices: list[Text] | None = Field(default=None, max_length=5)
    files: dict[Text, Text] | None = Field(default=None, max_length=50)
    flagged: bool = False


class SavedOut(BaseModel):
    ref: str
    seq: int
    saved_at: datetime
    # SHA-256 (hex) of the attempt's whole stored answer state at this point.
    receipt: str


class SectionScoreOut(BaseModel):
    kind: str
    score: float | None
    weight: float


class ResultOut(BaseModel):
    status: str
    score: float | None
    pass_mark: float
    passed: bool | None
    sections: list[SectionScoreOut]
    certificate_id: str | None
    # The receipt of exactly the answers that were scored (null while in progress).
    receipt: str | None
    grading_delayed: bool = Field(
        default=False,
        description="A final grading could not run after every retry (our infrastructure, "
        "not the candidate's work): the result waits for staff, the status stays `grading`",
    )
