"""A certificate's status on a given day. Pure."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

RENEWAL_WINDOW_MONTHS = 6


class CertificateStatus(enum.StrEnum):
    active = "active"
    expiring = "expiring"
    expired = "expired"
    revoked = "revoked"
    superseded = "superseded"


def add_months(day: date, months: int) -> date:
    """Calendar months; the 31st becomes the month's last day where there is no 31st."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class StatusFacts:
    expires_on: date
    revoked_at: datetime | None
    superseded_by: str | None


def renewal_window_opens(expires_on: date) -> date:
    return add_months(expires_on, -RENEWAL_WINDOW_MONTHS)


def certificate_status(facts: StatusFacts, today: date) -> CertificateStatus:
    if facts.revoked_at is not None:
        return CertificateStatus.revoked
    if facts.superseded_by is not None:
        return CertificateStatus.superseded
    if today > facts.expires_on:
        return CertificateStatus.expired
    if today >= renewal_window_opens(facts.expires_on):
        return CertificateStatus.expiring
    return CertificateStatus.active


def is_current(status: CertificateStatus) -> bool:
    """Good enough to be a prerequisite: valid today, renewed or not yet."""
    return status in (CertificateStatus.active, CertificateStatus.expiring)
