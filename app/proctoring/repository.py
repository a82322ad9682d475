"""Every query about proctoring's own tables."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.proctoring.models import (
    Accommodation,
    AttemptClient,
    AttemptEvent,
    AuditEntry,
    Flag,
    Review,
    ReviewState,
    SubmissionFingerprint,
)

# Any constant will do, as long as nothing else in the database uses it.
AUDIT_LOCK_KEY = 0x41535341_59415544  # "ASSAYAUD"
MAX_PEERS = 500


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, event: AttemptEvent) -> None:
        self.session.add(event)
        await self.session.flush()

    async def count_client(self, attempt_id: uuid.UUID) -> int:
        result = await self.session.execute(
            select(func.count()).where(
                AttemptEvent.attempt_id == attempt_id, AttemptEvent.source == "client"
            )
        )
        return int(result.scalar_one())

    async def has(self, attempt_id: uuid.UUID, type_: str) -> bool:
        result = await self.session.execute(
            select(AttemptEvent.id)
            .where(AttemptEvent.attempt_id == attempt_id, AttemptEvent.type == type_)
            .limit(1)
        )
        return result.first() is not None

    async def of_attempt(self, attempt_id: uuid.UUID) -> Sequence[AttemptEvent]:
        result = await self.session.execute(
            select(AttemptEvent)
            .where(AttemptEvent.attempt_id == attempt_id)
            .order_by(AttemptEvent.at, AttemptEvent.id)
        )
        return result.scalars().all()

    async def clients(self, attempt_id: uuid.UUID) -> Sequence[AttemptClient]:
        result = await self.session.execute(
            select(AttemptClient)
            .where(AttemptClient.attempt_id == attempt_id)
            .order_by(AttemptClient.last_seen.desc())
        )
        return result.scalars().all()

    async def add_client(self, client: AttemptClient) -> bool:
        """Adds the client unless a concurrent request of the same sign-in (in this
        process or another) has just done so; says whether this one added it."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        result = await self.session.execute(
            insert(AttemptClient)
            .values(
                attempt_id=client.attempt_id,
                session_key=client.session_key,
                ip=client.ip,
                user_agent=client.user_agent,
                first_seen=client.first_seen,
                last_seen=client.last_seen,
            )
            .on_conflict_do_nothing(index_elements=["attempt_id", "session_key"])
        )
        return bool(getattr(result, "rowcount", 0) == 1)


class FlagRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_attempt(self, attempt_id: uuid.UUID) -> Sequence[Flag]:
        result = await self.session.execute(
            select(Flag).where(Flag.attempt_id == attempt_id).order_by(Flag.created_at, Flag.rule)
        )
        return result.scalars().all()

    async def add(self, flag: Flag) -> None:
        self.session.add(flag)
        await self.session.flush()

    async def fingerprints_like(
        self, exam_code: str, scenario_ids: Sequence[str], exclude_attempt: uuid.UUID
    ) -> Sequence[SubmissionFingerprint]:
        """The latest submissions of the same scenarios in the same exam, others' only."""
        result = await self.session.execute(
            select(SubmissionFingerprint)
            .where(
                SubmissionFingerprint.exam_code == exam_code,
                SubmissionFingerprint.scenario_id.in_(scenario_ids),
                SubmissionFingerprint.attempt_id != exclude_attempt,
            )
            .order_by(SubmissionFingerprint.created_at.desc())
            .limit(MAX_PEERS)
        )
        return result.scalars().all()

    async def fingerprint(self, attempt_id: uuid.UUID, ref: str) -> SubmissionFingerprint | None:
        return await self.session.get(SubmissionFingerprint, (attempt_id, ref))

    async def add_fingerprint(self, fingerprint: SubmissionFingerprint) -> None:
        self.session.add(fingerprint)
        await self.session.flush()


class ReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, attempt_id: uuid.UUID, *, for_update: bool = False) -> Review | None:
        stmt = select(Review).where(Review.attempt_id == attempt_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add(self, review: Review) -> None:
        self.session.add(review)
        await self.session.flush()

    async def queue(
        self,
        states: Sequence[ReviewState],
        *,
        exclude_user: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Review]:
        """Most severe first, then the longest waiting."""
        stmt = (
            select(Review)
            .where(Review.state.in_(states))
            .order_by(Review.severity_rank.desc(), Review.queued_at, Review.attempt_id)
            .limit(limit)
        )
        if exclude_user is not None:
            stmt = stmt.where(Review.user_id != exclude_user)
        return (await self.session.execute(stmt)).scalars().all()

    async def accommodation(self, user_id: uuid.UUID, exam_code: str) -> Accommodation | None:
        result = await self.session.execute(
            select(Accommodation).where(
                Accommodation.user_id == user_id, Accommodation.exam_code == exam_code
            )
        )
        return result.scalar_one_or_none()

    async def add_accommodation(self, accommodation: Accommodation) -> None:
        self.session.add(accommodation)
        await self.session.flush()


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_for_append(self) -> None:
        # Held until the transaction ends, so the head read next stays the head until
        # this entry is committed. SQLite already holds its write lock since BEGIN.
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY}
            )

    async def head(self) -> AuditEntry | None:
        result = await self.session.execute(
            select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)
        )
        return result.scalar_one_or_none()

    async def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)
        await self.session.flush()

    async def stream(self, batch: int = 1000) -> AsyncIterator[AuditEntry]:
        """Every entry in order, a batch at a time."""
        after = 0
        while True:
            result = await self.session.execute(
                select(AuditEntry)
                .where(AuditEntry.seq > after)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
            rows = result.scalars().all()
            if not rows:
                return
            for entry in rows:
                yield entry
            after = rows[-1].seq

    async def of_attempt(self, attempt_id: uuid.UUID) -> Sequence[AuditEntry]:
        result = await self.session.execute(
            select(AuditEntry).where(AuditEntry.attempt_id == attempt_id).order_by(AuditEntry.seq)
        )
        return result.scalars().all()
