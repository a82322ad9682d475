from __future__ import annotations

from pydantic import BaseModel


class SectionOut(BaseModel):
    kind: str
    items: int
    weight: float


class ExamOut(BaseModel):
    code: str
    title: str
    level: str
    duration_minutes: int
    pass_mark: float
    validity_months: int
    prerequisites: list[str]
    sections: list[SectionOut]
