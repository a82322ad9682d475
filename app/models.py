"""Every table, imported in one place for Alembic and the schema-drift test."""

from app.attempts.models import Attempt, AttemptItem, ExposurePending, ItemExposure, Response
from app.attempts.shared_admission import AdmissionPlace, StartTime
from app.authoring.models import CheckOutcome, ItemOutcome
from app.availability.models import DeadlineCredit, FailureWindow, Heartbeat, ServiceGap
from app.certificates.models import Certificate, EmployerKey, OutboxMessage
from app.core.db import Base
from app.core.sharedlimits import RateLimitRow
from app.exams.models import ExamVersion, ItemVersion
from app.grading.models import PipelineRun, ScenarioRun
from app.identity.models import Session, User
from app.proctoring.models import (
    Accommodation,
    AttemptClient,
    AttemptEvent,
    AuditEntry,
    Flag,
    Review,
    SubmissionFingerprint,
)
from app.regrading.models import Regrade, RegradeResult
from app.sittings.models import RosterEntry, Sitting

metadata = Base.metadata

__all__ = [
    "Accommodation",
    "AdmissionPlace",
    "Attempt",
    "AttemptClient",
    "AttemptEvent",
    "AttemptItem",
    "AuditEntry",
    "Certificate",
    "CheckOutcome",
    "DeadlineCredit",
    "EmployerKey",
    "ExamVersion",
    "ExposurePending",
    "FailureWindow",
    "Flag",
    "Heartbeat",
    "ItemExposure",
    "ItemOutcome",
    "ItemVersion",
    "OutboxMessage",
    "PipelineRun",
    "RateLimitRow",
    "Regrade",
    "RegradeResult",
    "Response",
    "Review",
    "RosterEntry",
    "ScenarioRun",
    "ServiceGap",
    "Session",
    "Sitting",
    "StartTime",
    "SubmissionFingerprint",
    "User",
    "metadata",
]
