from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # What holders share: normalised Crockford base32, no separators.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The attempt that earned it; none when passing a higher level renewed it.
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("attempts.id"), unique=True)
    # The attempt whose pass produced it: its own certificate, or a lower level that
    # pass renewed. Invalidating the attempt revokes all of them.
    source_attempt_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("attempts.id"), index=True
    )
    exam_code: Mapped[str] = mapped_column(String(64))
    track: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(32))
    # The name as it stood at issue: a certificate is a statement about that moment.
    holder_name: Mapped[str] = mapped_column(String(200))
    # The holder in the signed credential: sha256 of the email at issue plus this salt
    # (Open Badges IdentityHash), so the credential names nobody to a stranger.
    holder_salt: Mapped[str] = mapped_column(String(32))
    holder_identity_hash: Mapped[str] = mapped_column(String(80))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by: Mapped[str | None] = mapped_column(String(32))
    # The certificate this one renewed (its public ID).
    renewal_of: Mapped[str | None] = mapped_column(String(32))
    # Its bit in the revocation status list (drawn at random, as the spec advises, so
    # neighbouring bits say nothing about issue order).
    status_index: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """Mail to send, written in the transaction that decided it; the unique key makes
    each reminder happen once per certificate however often the scan runs."""

    __tablename__ = "outbox_messages"
    __table_args__ = (UniqueConstraint("certificate_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # None for news that concerns no certificate (a sitting moved or cancelled).
    certificate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class EmployerKey(Base):
    """An API key for the bulk verification API. The key is shown once; we keep its
    prefix (to find it) and the SHA-256 of its secret part (high-entropy, so a fast hash
    is enough and keeps the bulk path cheap)."""

    __tablename__ = "employer_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
