from __future__ import annotations

from fastapi import APIRouter

from app.core.deps import SessionDep, UnitOfWorkRoute
from app.exams import service
from app.exams.models import ExamVersion
from app.exams.schemas import ExamOut, SectionOut

router = APIRouter(prefix="/api/v1", tags=["catalog"], route_class=UnitOfWorkRoute)


def exam_out(exam: ExamVersion) -> ExamOut:
    blueprint = service.blueprint_of(exam)
    return ExamOut(
        code=exam.code,
        title=exam.title,
        level=exam.level,
        duration_minutes=exam.duration_minutes,
        pass_mark=exam.pass_mark,
        validity_months=exam.validity_months,
        prerequisites=blueprint.prerequisites,
        sections=[
            SectionOut(kind=s.kind, items=s.item_count, weight=s.weight) for s in blueprint.sections
        ],
    )


@router.get("/exams", response_model=list[ExamOut])
async def list_exams(session: SessionDep) -> list[ExamOut]:
    return [exam_out(exam) for exam in await service.list_exams(session)]
