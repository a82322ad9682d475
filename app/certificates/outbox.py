"""Mail to candidates, through an outbox: expiry reminders, the news that a regrade made
an attempt a pass, and a sitting moved or cancelled (``queue_notice``).

``queue_expiry_reminders`` writes one message per certificate and threshold (90, 30 and
7 days before expiry) in the caller's transaction; the unique (certificate, kind) key
makes each go out once however often, and by however many workers, the scan runs. A
certificate found late gets only its most urgent reminder, not a burst of stale ones.
``deliver_outbox`` then sends what is unsent, each message in its own transaction: by
SMTP when a host is configured, to the log otherwise. A message whose send succeeded but
whose commit failed is sent again (at least once, never silently dropped).
"""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from datetime import timedelta
from email.message import EmailMessage
from typing import Protocol

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.certificates.credential import Issuer
from app.certificates.ids import display
from app.certificates.models import Certificate, OutboxMessage
from app.certificates.repository import CertificateRepository, OutboxRepository
from app.config import Settings
from app.core.clock import Clock
from app.core.db import session_scope
from app.identity import service as identity_service

log = structlog.get_logger("assay.outbox")

REMINDER_DAYS = (90, 30, 7)
REGRADE_PASS = "regrade_pass"  # noqa: S105 (a message kind, not a secret)
MAX_FAILURES = 5


def reminder_kind(days_left: int) -> str | None:
    """The most urgent threshold reached with this many days left, if any."""
    reached = [d for d in REMINDER_DAYS if days_left <= d]
    return f"expiry_{min(reached)}d" if reached and days_left >= 0 else None


async def queue_expiry_reminders(session: AsyncSession, clock: Clock, issuer: Issuer) -> int:
    today = clock.now().date()
    due = await CertificateRepository(session).expiring_between(
        today, today + timedelta(days=max(REMINDER_DAYS))
    )
    outbox = OutboxRepository(session)
    queued = await outbox.kinds_for([c.id for c in due])
    count = 0
    for certificate in due:
        kind = reminder_kind((certificate.expires_on - today).days)
        if kind is None or (certificate.id, kind) in queued:
            continue
        user = await identity_service.get_user(session, certificate.user_id)
        if user is None:
            continue
        shown = display(certificate.public_id)
        message = OutboxMessage(
            id=uuid.uuid4(),
            certificate_id=certificate.id,
            kind=kind,
            recipient=user.email,
            subject=f"Your {certificate.title} certificate expires on "
            f"{certificate.expires_on.isoformat()}",
            body=(
                f"Hello {certificate.holder_name},\n\n"
                f"Your certificate {shown} ({certificate.title}) expires on "
                f"{certificate.expires_on.isoformat()}, in "
                f"{(certificate.expires_on - today).days} days.\n"
                "You can renew it now: passing the renewal exam extends it from its "
                "expiry date, so renewing early costs nothing.\n\n"
                f"Verification page: {issuer.verify_url(shown)}\n"
            ),
            created_at=clock.now(),
            failures=0,
        )
        try:
            async with session.begin_nested():
                outbox.add(message)
                await session.flush()
        except IntegrityError:
            continue  # queued meanwhile by another worker
        count += 1
    return count


async def queue_regrade_pass(
    session: AsyncSession,
    clock: Clock,
    issuer: Issuer,
    certificate: Certificate,
    recipient: str,
) -> None:
    """Tells a candidate that a key correction turned their attempt into a pass and
    their certificate is issued. Once per certificate (the unique key), so an apply job
    that runs again sends nothing twice."""
    outbox = OutboxRepository(session)
    if (certificate.id, REGRADE_PASS) in await outbox.kinds_for([certificate.id]):
        return
    shown = display(certificate.public_id)
    outbox.add(
        OutboxMessage(
            id=uuid.uuid4(),
            certificate_id=certificate.id,
            kind=REGRADE_PASS,
            recipient=recipient,
            subject=f"You passed {certificate.title}: your certificate is issued",
            body=(
                f"Hello {certificate.holder_name},\n\n"
                "An answer key in your exam was corrected and every attempt rescored. "
                f"Your attempt now passes, and your certificate {shown} ({certificate.title}) "
                f"is issued, valid until {certificate.expires_on.isoformat()}.\n\n"
                f"Verification page: {issuer.verify_url(shown)}\n"
            ),
            created_at=clock.now(),
            failures=0,
        )
    )
    await session.flush()


async def queue_notice(
    session: AsyncSession, clock: Clock, *, kind: str, recipient: str, subject: str, body: str
) -> None:
    """Mail about no certificate (a sitting moved or cancelled), sent by the same
    outbox pass, in the caller's transaction: it goes out only if the decision stands."""
    OutboxRepository(session).add(
        OutboxMessage(
            id=uuid.uuid4(),
            certificate_id=None,
            kind=kind,
            recipient=recipient,
            subject=subject[:200],
            body=body,
            created_at=clock.now(),
            failures=0,
        )
    )


class Mailer(Protocol):
    async def send(self, message: OutboxMessage) -> None: ...


class LogMailer:
    """Without SMTP the reminders are logged, so dev and tests can see them."""

    def __init__(self) -> None:
        self.sent: list[OutboxMessage] = []

    async def send(self, message: OutboxMessage) -> None:
        self.sent.append(message)
        log.info("reminder", kind=message.kind, to=message.recipient, subject=message.subject)


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def _send_blocking(self, message: OutboxMessage) -> None:
        s = self._settings
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = s.mail_from, message.recipient, message.subject
        mail["Message-ID"] = f"<{message.id}@assay>"
        mail.set_content(message.body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(mail)

    async def send(self, message: OutboxMessage) -> None:
        await asyncio.to_thread(self._send_blocking, message)


def mailer_for(settings: Settings) -> Mailer:
    return SmtpMailer(settings) if settings.smtp_host else LogMailer()


async def deliver_outbox(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, mailer: Mailer, limit: int = 100
) -> int:
    sent = 0
    for _ in range(limit):
        async with session_scope(sessionmaker) as session:
            batch = await OutboxRepository(session).unsent(1, MAX_FAILURES)
            if not batch:
                break
            message = batch[0]
            try:
                await mailer.send(message)
            except (OSError, smtplib.SMTPException) as exc:
                message.failures += 1
                log.warning("reminder not sent", kind=message.kind, error=str(exc))
                break  # the server is likely down: try again on the next pass
            message.sent_at = clock.now()
            sent += 1
    return sent


async def run_reminders(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    issuer: Issuer,
    mailer: Mailer,
) -> int:
    """One pass of the scheduled job: queue what is due, then send the outbox."""
    async with session_scope(sessionmaker) as session:
        await queue_expiry_reminders(session, clock, issuer)
    return await deliver_outbox(sessionmaker, clock, mailer)
