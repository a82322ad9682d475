from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from app.core.text import Text


class CertificateOut(BaseModel):
    certificate_id: str
    status: str
    exam_code: str
    title: str
    level: str
    holder_name: str
    issued_on: date
    expires_on: date
    renewal_window_opens: date
    superseded_by: str | None
    renewal_of: str | None
    revocation_reason: str | None
    verify_url: str
    credential_url: str
    linkedin_url: str


class VerificationOut(BaseModel):
    """``record`` is ``minimal`` for a lookup by ID alone (no holder name, no revocation
    reason) and ``full`` when the holder's last name was given and matched."""

    certificate_id: str
    record: Literal["minimal", "full"]
    status: Literal["active", "expiring", "expired", "revoked", "superseded"]
    holder_name: str | None
    exam_code: str
    title: str
    level: str
    issued_on: date
    expires_on: date
    superseded_by: str | None
    renewal_of: str | None
    revocation_reason: str | None


class VerifyIn(BaseModel):
    certificate_id: Text = Field(max_length=64)
    last_name: Text = Field(max_length=200)


class BatchIn(BaseModel):
    # The limit (500 by default) is checked by the route, to answer with its own code.
    certificates: list[VerifyIn]


class BatchResultOut(BaseModel):
    certificate_id: str
    found: bool
    certificate: VerificationOut | None


class BatchOut(BaseModel):
    results: list[BatchResultOut]


class RevocationIn(BaseModel):
    reason: Text = Field(min_length=3, max_length=2000)
