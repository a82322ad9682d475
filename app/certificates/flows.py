"""Orchestrations that span certificates and attempts. Lives apart from
``certificates.service`` because attempts already calls that service: importing attempts
from it would close a cycle."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts import service as attempts_service
from app.attempts.balance import FormBalancer
from app.attempts.exposure import ExposureCache
from app.certificates import service as certificates_service
from app.certificates.exceptions import RenewalWindowClosed
from app.core.clock import Clock
from app.exams import service as exams_service
from app.grading.scenarios import Scenario


async def renewal_exam_code(session: AsyncSession, exam_code: str) -> str:
    exam = await exams_service.renewal_exam_for(session, exam_code)
    if exam is None:
        raise RenewalWindowClosed("There is no renewal exam for this certificate at the moment.")
    return exam.code


async def start_renewal(
    session: AsyncSession,
    clock: Clock,
    user_id: uuid.UUID,
    raw_certificate_id: str,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    exposure: ExposureCache,
    seed: int,
    balancer: FormBalancer | None = None,
) -> attempts_service.StartedAttempt:
    """Starts (or resumes) the renewal exam for the caller's certificate, if it is in its
    renewal window; the attempt's own eligibility check asks the same again."""
    certificate = await certificates_service.renewal_target(
        session, clock, user_id, raw_certificate_id
    )
    code = await renewal_exam_code(session, certificate.exam_code)
    return await attempts_service.start_attempt(
        session,
        clock,
        user_id,
        code,
        grace=grace,
        scenarios=scenarios,
        exposure=exposure,
        seed=seed,
        balancer=balancer,
    )
