from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class CertificateOut(BaseModel):
    certificate_id: str
    status: str
    exam_code: str
    title: str
    level: str
    holder_name: str
    issued_on: date
    expires_on: date


class VerificationOut(BaseModel):
    certificate_id: str
    status: str
    holder_name: str
    exam_code: str
    title: str
    level: str
    issued_on: date
    expires_on: date
    superseded_by: str | None
    revocation_reason: str | None
