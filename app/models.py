"""Every table, imported in one place for Alembic and the schema-drift test."""

from app.attempts.models import Attempt, AttemptItem, Response
from app.certificates.models import Certificate, EmployerKey, OutboxMessage
from app.core.db import Base
from app.exams.models import ExamVersion, ItemVersion
from app.grading.models import ScenarioRun
from app.identity.models import User

metadata = Base.metadata

__all__ = [
    "Attempt",
    "AttemptItem",
    "Certificate",
    "EmployerKey",
    "ExamVersion",
    "ItemVersion",
    "OutboxMessage",
    "Response",
    "ScenarioRun",
    "User",
    "metadata",
]
