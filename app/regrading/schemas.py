from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.text import Text


class RegradeIn(BaseModel):
    """A correction to an item's key (``item_id``) or to a scenario's hidden check
    (``scenario_id`` and ``check``).

    For an item: ``rekey`` without ``key`` takes the key of the item's newest published
    version; ``accept`` needs the additional key; ``drop`` takes none. For a check:
    ``drop`` (its points count for nobody) or ``award`` (everyone graded earns them)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    item_id: Text | None = Field(default=None, min_length=1, max_length=32)
    scenario_id: Text | None = Field(default=None, min_length=1, max_length=64)
    check: Text | None = Field(default=None, min_length=1, max_length=128)
    change: Literal["rekey", "accept", "drop", "award"]
    key: list[Text] = Field(default_factory=list, max_length=5)
    reason: Text = Field(min_length=3, max_length=2000)

    @model_validator(mode="after")
    def _key_fits_change(self) -> RegradeIn:
        on_check = self.scenario_id is not None or self.check is not None
        if on_check == (self.item_id is not None):
            raise ValueError("give either item_id, or scenario_id and check")
        if on_check:
            if self.scenario_id is None or self.check is None:
                raise ValueError("a check correction needs scenario_id and check")
            if self.change not in ("drop", "award"):
                raise ValueError("a check is dropped or awarded")
            if self.key:
                raise ValueError("a check correction takes no key")
            return self
        if self.change == "award":
            raise ValueError("award is for a scenario's check")
        if self.change == "accept" and not self.key:
            raise ValueError("accept needs the additional key")
        if self.change == "drop" and self.key:
            raise ValueError("drop takes no key")
        return self


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=3, max_length=2000)


class CountsOut(BaseModel):
    affected: int
    changed: int
    new_passes: int
    below_pass_mark: int
    passes_kept: int
    passes_revoked: int


class ExamCountsOut(CountsOut):
    exam_code: str


class ImpactOut(BaseModel):
    total: CountsOut
    exams: list[ExamCountsOut]


class AttemptChangeOut(BaseModel):
    attempt_id: uuid.UUID
    exam_code: str
    old_score: float
    new_score: float
    passed_before: bool
    passed_after: bool
    outcome: Literal["changed", "new_pass", "pass_kept", "pass_revoked"]
    certificate_id: str | None = None


class RegradeOut(BaseModel):
    """``item_id`` for a key correction; ``scenario_id``, ``check`` and
    ``scenario_version`` (the highest version covered) for a check correction."""

    id: uuid.UUID
    target: Literal["item", "check"]
    item_id: str | None
    scenario_id: str | None
    check: str | None
    scenario_version: int | None
    change: str
    key: list[str]
    item_versions: int
    reason: str
    status: Literal["proposed", "applying", "applied"]
    proposed_at: datetime
    applied_at: datetime | None
    finished_at: datetime | None
    apply_reason: str | None
    drop_policy: str | None


class PolicyOut(BaseModel):
    name: Literal["keep", "revoke"]
    text: str


class PreviewOut(BaseModel):
    """What applying would do now: counts per exam and the attempts whose score moves."""

    regrade: RegradeOut
    policy: PolicyOut
    impact: ImpactOut
    attempts: list[AttemptChangeOut]


class RegradeDetailOut(BaseModel):
    """A regrade and what its apply did so far (empty while only proposed)."""

    regrade: RegradeOut
    applied: ImpactOut
    attempts: list[AttemptChangeOut]
