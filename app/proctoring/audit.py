"""The audit trail: every review decision, extra-time grant, accommodation and
certificate revocation, appended to a hash chain.

Each entry's ``hash`` is the SHA-256 of its own fields (canonical JSON) together with
the previous entry's hash, and entries are numbered 1, 2, 3... without gaps. Editing an
entry breaks its hash; deleting or reordering one breaks the numbering and the link to
its predecessor. ``assay audit verify`` recomputes the chain and names the first entry
that does not hold. Deleting entries from the end leaves a shorter chain that is still
whole: keep the head hash that ``verify`` prints somewhere else to detect that.

Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock taken before
the head is read, on SQLite by the write lock every transaction takes at BEGIN
(``BEGIN IMMEDIATE``, see core/db.py). The primary key on ``seq`` backs both up.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import Clock
from app.proctoring.models import AuditEntry
from app.proctoring.repository import AuditRepository

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who did it: a signed-in user, or an operator at the command line (no id)."""

    id: uuid.UUID | None
    label: str


def entry_hash(entry: AuditEntry) -> str:
    fields = {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor": entry.actor,
        "action": entry.action,
        "attempt_id": str(entry.attempt_id) if entry.attempt_id else None,
        "subject": entry.subject,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def append(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    action: str,
    *,
    subject: str,
    attempt_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Appends an entry in the caller's transaction (it stands or falls with the change
    it records). ``details`` must be JSON of strings, integers, booleans and nulls: a
    float could come back from the database written differently and break its hash."""
    repo = AuditRepository(session)
    await repo.lock_for_append()
    head = await repo.head()
    entry = AuditEntry(
        seq=(head.seq + 1) if head else 1,
        at=clock.now(),
        actor_id=actor.id,
        actor=actor.label[:320],
        action=action,
        attempt_id=attempt_id,
        subject=subject[:100],
        details=details or {},
        prev_hash=head.hash if head else GENESIS,
    )
    entry.hash = entry_hash(entry)
    await repo.add(entry)
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str
    broken_at: int | None = None  # the seq (or position) of the first bad entry
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


async def verify(session: AsyncSession) -> ChainReport:
    """Walks the chain from the first entry and reports the first one that does not hold."""
    previous = GENESIS
    count = 0
    async for entry in AuditRepository(session).stream():
        count += 1
        if entry.seq != count:
            return ChainReport(
                count,
                previous,
                count,
                f"entry #{count} is missing: the next entry found is #{entry.seq} "
                "(deleted or reordered)",
            )
        if entry.prev_hash != previous:
            return ChainReport(
                count,
                previous,
                entry.seq,
                f"entry #{entry.seq} does not follow entry #{entry.seq - 1} "
                "(an entry before it was changed, deleted or moved)",
            )
        if entry_hash(entry) != entry.hash:
            return ChainReport(
                count, previous, entry.seq, f"entry #{entry.seq} was changed after it was written"
            )
        previous = entry.hash
    return ChainReport(count, previous)
