"""Every query about attempts. The autosave path is one prebuilt Core statement per
dialect: it checks the owner, the status and the deadline and writes the answer in the
same statement, so no answer can land in a closed attempt and the common case is one
round trip."""

from __future__ import annotations

import functools
import json
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    Uuid,
    and_,
    bindparam,
    cast,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.dml import Insert

from app.attempts import receipts
from app.attempts.models import Attempt, AttemptItem, AttemptStatus, Response
from app.core.batching import Coalescer
from app.core.db import DriverPool, JSONType, UTCDateTime, driver_statement
from app.exams.models import ItemVersion
from app.grading.models import ScenarioRun

_attempts = Attempt.__table__
_responses = Response.__table__


_UPSERT_COLUMNS = [
    "attempt_id",
    "ref",
    "seq",
    "choices",
    "files",
    "flagged",
    "saved_at",
    "digest",
    "first_answered_at",
]


def _on_conflict(stmt: Any) -> Insert:
    """The guarded upsert: an older or repeated seq is acknowledged but changes nothing.
    ``first_answered_at`` is written by the insert, or by the first later save that holds
    an answer, and kept from then on: the same statement, no read before it."""
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["attempt_id", "ref"],
        set_={
            **{
                name: excluded[name]
                for name in ("seq", "choices", "files", "flagged", "saved_at", "digest")
            },
            "first_answered_at": func.coalesce(
                _responses.c.first_answered_at, excluded.first_answered_at
            ),
        },
        where=_responses.c.seq < excluded.seq,
    ).returning(
        _responses.c.attempt_id,
        _responses.c.ref,
        _responses.c.seq,
        _responses.c.saved_at,
        _responses.c.digest,
    )


def _sqlite_upsert() -> Insert:
    """One answer: written only if the attempt is the user's, in progress and inside its
    deadline (``cutoff`` = now - grace), all checked by the statement that writes."""
    source = select(
        _attempts.c.id,
        bindparam("ref", type_=String(16)),
        bindparam("seq", type_=Integer()),
        bindparam("choices", type_=JSONType),
        bindparam("files", type_=JSONType),
        bindparam("flagged", type_=Boolean()),
        bindparam("saved_at", type_=UTCDateTime()),
        bindparam("digest", type_=String(64)),
        bindparam("answered_at", type_=UTCDateTime()),
    ).where(
        _attempts.c.id == bindparam("attempt_id", type_=Uuid),
        _attempts.c.user_id == bindparam("user_id", type_=Uuid),
        _attempts.c.status == AttemptStatus.in_progress.value,
        _attempts.c.deadline_at > bindparam("cutoff", type_=UTCDateTime()),
    )
    return _on_conflict(sqlite.insert(Response).from_select(_UPSERT_COLUMNS, source))


def _postgresql_upsert_many() -> Insert:
    """The same guarded upsert for many answers at once, one array parameter per column
    (``unnest``). Attempt rows are share-locked (a concurrent submit is waited for, then
    the row re-checked) in a fixed order, so two batches cannot deadlock."""

    def array(name: str, type_: Any) -> Any:
        return cast(bindparam(name), postgresql.ARRAY(type_))

    rows = (
        func.unnest(
            array("attempt_ids", Uuid()),
            array("user_ids", Uuid()),
            array("refs", String(16)),
            array("seqs", Integer()),
            array("choices", postgresql.JSONB()),
            array("files", postgresql.JSONB()),
            array("flagged", Boolean()),
            array("saved_at", DateTime(timezone=True)),
            array("cutoffs", DateTime(timezone=True)),
            array("digests", String(64)),
            array("answered_at", DateTime(timezone=True)),
        )
        .table_valued(
            "attempt_id",
            "user_id",
            "ref",
            "seq",
            "choices",
            "files",
            "flagged",
            "saved_at",
            "cutoff",
            "digest",
            "answered_at",
        )
        .render_derived("answers")
    )
    source = (
        select(
            _attempts.c.id,
            rows.c.ref,
            rows.c.seq,
            rows.c.choices,
            rows.c.files,
            rows.c.flagged,
            rows.c.saved_at,
            rows.c.digest,
            rows.c.answered_at,
        )
        .join_from(
            rows,
            _attempts,
            and_(
                _attempts.c.id == rows.c.attempt_id,
                _attempts.c.user_id == rows.c.user_id,
                _attempts.c.status == AttemptStatus.in_progress.value,
                _attempts.c.deadline_at > rows.c.cutoff,
            ),
        )
        .order_by(_attempts.c.id, rows.c.ref)
        .with_for_update(read=True, of=_attempts)
    )
    return _on_conflict(postgresql.insert(Response).from_select(_UPSERT_COLUMNS, source))


_SQLITE_UPSERT = _sqlite_upsert()
# Compiled once with $n parameters for asyncpg: the hottest statement skips SQLAlchemy's
# per-execution work.
_PG_UPSERT_MANY_SQL, _PG_UPSERT_MANY_ORDER = driver_statement(_postgresql_upsert_many())
# The same, answering with each written attempt's digests as they stand after the write
# (the rows it did not touch, as of the statement's snapshot, and the ones it wrote): the
# receipt costs no second round trip.
_PG_UPSERT_RECEIPTS_SQL = f"""WITH written AS ({_PG_UPSERT_MANY_SQL}),
state AS (
    SELECT r.attempt_id, r.ref, r.digest FROM responses AS r
    WHERE r.attempt_id IN (SELECT attempt_id FROM written)
    AND NOT EXISTS (
        SELECT 1 FROM written AS w WHERE w.attempt_id = r.attempt_id AND w.ref = r.ref
    )
    UNION ALL SELECT attempt_id, ref, digest FROM written
)
SELECT w.attempt_id, w.ref, w.seq, w.saved_at,
    (SELECT array_agg(s.ref) FROM state AS s WHERE s.attempt_id = w.attempt_id),
    (SELECT array_agg(coalesce(s.digest, '')) FROM state AS s WHERE s.attempt_id = w.attempt_id)
FROM written AS w"""  # noqa: S608 - our own statement, no input in its text


@dataclass(frozen=True)
class ItemMeta:
    """What validating an answer needs; fixed once the attempt's form is drawn."""

    kind: str
    option_count: int
    multiple: bool
    scenario_id: str | None = None
    position: int = 0


@dataclass(frozen=True)
class FormMeta:
    owner_id: uuid.UUID
    # By position.
    items: dict[str, ItemMeta]
    # When the clock starts (a sitting's start, for a checked-in attempt): fixed once
    # started (a sitting moves only before its start).
    starts_at: datetime


@functools.cache
def item_meta(
    kind: str, option_count: int, multiple: bool, scenario_id: str | None, position: int
) -> ItemMeta:
    """Shared instances: a few hundred distinct values over every cached form. One object
    per item of every cached form made each full garbage collection traverse tens of
    thousands of them (a pause of 40-60 ms under load, measured); shared, they cost
    nothing."""
    return ItemMeta(kind, option_count, multiple, scenario_id, position)


class _FormMetaCache:
    """Per-process, bounded, per attempt. Safe to cache: a form never changes after it is
    drawn. Filled when an attempt starts and otherwise on the first save of a process."""

    def __init__(self, size: int) -> None:
        self._data: OrderedDict[uuid.UUID, FormMeta] = OrderedDict()
        self._size = size

    def get(self, attempt_id: uuid.UUID) -> FormMeta | None:
        return self._data.get(attempt_id)

    def put(self, attempt_id: uuid.UUID, meta: FormMeta) -> None:
        self._data[attempt_id] = meta
        if len(self._data) > self._size:
            self._data.popitem(last=False)


_form_meta_cache = _FormMetaCache(20_000)

_FORM_META = (
    select(
        _attempts.c.user_id,
        _attempts.c.started_at,
        AttemptItem.__table__.c.ref,
        AttemptItem.__table__.c.kind,
        AttemptItem.__table__.c.option_order,
        ItemVersion.__table__.c.type,
        AttemptItem.__table__.c.scenario_id,
        AttemptItem.__table__.c.position,
    )
    .select_from(AttemptItem.__table__)
    .join(_attempts, _attempts.c.id == AttemptItem.__table__.c.attempt_id)
    .outerjoin(
        ItemVersion.__table__,
        ItemVersion.__table__.c.id == AttemptItem.__table__.c.item_version_id,
    )
    .where(AttemptItem.__table__.c.attempt_id == bindparam("attempt_id", type_=Uuid))
    .order_by(AttemptItem.__table__.c.position)
)


def remember_form(attempt: Attempt, items: Sequence[AttemptItem], types: dict[str, str]) -> None:
    if attempt.sitting_id is not None:
        # A sitting's start may still move: cached by its first save once started.
        return
    _form_meta_cache.put(
        attempt.id,
        FormMeta(
            attempt.user_id,
            {
                i.ref: item_meta(
                    i.kind,
                    len(i.option_order or []),
                    types.get(i.ref) == "multiple",
                    i.scenario_id,
                    i.position,
                )
                for i in sorted(items, key=lambda i: i.position)
            },
            attempt.started_at,
        ),
    )


class AttemptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, attempt_id: uuid.UUID, *, for_update: bool = False) -> Attempt | None:
        stmt = select(Attempt).where(Attempt.id == attempt_id)
        if for_update:
            stmt = stmt.with_for_update()
        result = await self.session.execute(stmt)
        return result.scalar_one_or_none()

    async def get_owned(self, attempt_id: uuid.UUID, user_id: uuid.UUID) -> Attempt | None:
        result = await self.session.execute(
            select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user_id)
        )
        return result.scalar_one_or_none()

    async def by_ids(self, attempt_ids: Sequence[uuid.UUID]) -> Sequence[Attempt]:
        if not attempt_ids:
            return []
        result = await self.session.execute(select(Attempt).where(Attempt.id.in_(attempt_ids)))
        return result.scalars().all()

    async def running_ids(self, user_id: uuid.UUID) -> Sequence[uuid.UUID]:
        result = await self.session.execute(
            select(Attempt.id).where(
                Attempt.user_id == user_id, Attempt.status == AttemptStatus.in_progress
            )
        )
        return result.scalars().all()

    async def history(self, user_id: uuid.UUID, exam_code: str) -> Sequence[Attempt]:
        result = await self.session.execute(
            select(Attempt)
            .where(Attempt.user_id == user_id, Attempt.exam_code == exam_code)
            .order_by(Attempt.started_at.desc())
        )
        return result.scalars().all()

    async def items(self, attempt_id: uuid.UUID) -> Sequence[AttemptItem]:
        result = await self.session.execute(
            select(AttemptItem)
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.position)
        )
        return result.scalars().all()

    async def item(self, attempt_id: uuid.UUID, ref: str) -> AttemptItem | None:
        return await self.session.get(AttemptItem, (attempt_id, ref))

    async def responses(self, attempt_id: uuid.UUID) -> dict[str, Response]:
        result = await self.session.execute(
            select(Response).where(Response.attempt_id == attempt_id)
        )
        return {r.ref: r for r in result.scalars()}

    async def receipt(self, attempt_id: uuid.UUID) -> str:
        """The receipt of the attempt's stored answers, from their digests."""
        result = await self.session.execute(_DIGESTS, {"attempt_id": attempt_id})
        return receipts.receipt((ref, digest or "") for ref, digest in result)

    async def response(self, attempt_id: uuid.UUID, ref: str) -> Response | None:
        return await self.session.get(Response, (attempt_id, ref))

    async def in_sittings(
        self, user_id: uuid.UUID, sitting_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, uuid.UUID]:
        if not sitting_ids:
            return {}
        result = await self.session.execute(
            select(Attempt.sitting_id, Attempt.id).where(
                Attempt.user_id == user_id, Attempt.sitting_id.in_(sitting_ids)
            )
        )
        return {sitting: attempt for sitting, attempt in result.all() if sitting is not None}

    async def move_sitting_clocks(
        self, sitting_id: uuid.UUID, old_start: datetime, new_start: datetime
    ) -> int:
        """Every attempt checked in to the sitting (not started: all start at
        ``old_start``) starts at ``new_start`` with the same length of time. One UPDATE
        per distinct deadline (a handful: extra time), each also matching the old start, so
        no row is moved twice."""
        checked_in = and_(
            Attempt.sitting_id == sitting_id,
            Attempt.status == AttemptStatus.in_progress,
            Attempt.started_at == old_start,
        )
        deadlines = (
            (await self.session.execute(select(Attempt.deadline_at).where(checked_in).distinct()))
            .scalars()
            .all()
        )
        moved = 0
        for deadline in deadlines:
            result = await self.session.execute(
                update(Attempt)
                .where(checked_in, Attempt.deadline_at == deadline)
                .values(started_at=new_start, deadline_at=deadline + (new_start - old_start))
                .returning(Attempt.id)
                .execution_options(synchronize_session=False)
            )
            moved += len(result.all())
        return moved

    async def checked_in_users(self, sitting_id: uuid.UUID) -> list[uuid.UUID]:
        result = await self.session.execute(
            select(Attempt.user_id).where(
                Attempt.sitting_id == sitting_id, Attempt.status == AttemptStatus.in_progress
            )
        )
        return list(result.scalars())

    async def cancel_in_sitting(self, sitting_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Closes every attempt still checked in to the sitting, without a score:
        (attempt id, candidate) of each."""
        result = await self.session.execute(
            update(Attempt)
            .where(Attempt.sitting_id == sitting_id, Attempt.status == AttemptStatus.in_progress)
            .values(status=AttemptStatus.cancelled)
            .returning(Attempt.id, Attempt.user_id)
            .execution_options(synchronize_session=False)
        )
        return [(row[0], row[1]) for row in result.all()]

    async def seen_item_ids(self, user_id: uuid.UUID) -> set[str]:
        result = await self.session.execute(
            select(ItemVersion.item_id)
            .join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(Attempt.user_id == user_id)
        )
        return set(result.scalars())

    async def overdue_ids(
        self, cutoff: datetime, limit: int, *, user_id: uuid.UUID | None = None
    ) -> Sequence[uuid.UUID]:
        stmt = (
            select(Attempt.id)
            .where(Attempt.status == AttemptStatus.in_progress, Attempt.deadline_at <= cutoff)
            .order_by(Attempt.deadline_at)
            .limit(limit)
        )
        if user_id is not None:
            stmt = stmt.where(Attempt.user_id == user_id)
        result = await self.session.execute(stmt)
        return result.scalars().all()

    async def graded_unscored_ids(self, limit: int) -> Sequence[uuid.UUID]:
        """Attempts still ``grading`` whose every final grading is done: the scoring that
        should have followed the last grade was lost with the process that ran it."""
        unfinished = (
            select(ScenarioRun.id)
            .where(
                ScenarioRun.attempt_id == Attempt.id,
                ScenarioRun.kind == "final",
                ScenarioRun.status != "done",
            )
            .exists()
        )
        # A scoring in progress holds its attempt's row: skipped, not waited for.
        result = await self.session.execute(
            select(Attempt.id)
            .where(Attempt.status == AttemptStatus.grading, ~unfinished)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return result.scalars().all()

    async def add(self, attempt: Attempt, items: Sequence[AttemptItem]) -> None:
        self.session.add(attempt)
        await self.session.flush()
        self.session.add_all(items)
        await self.session.flush()


_ATTEMPT_STATE = select(_attempts.c.user_id, _attempts.c.status, _attempts.c.deadline_at).where(
    _attempts.c.id == bindparam("attempt_id", type_=Uuid)
)
_STORED_RESPONSE = select(_responses.c.seq, _responses.c.saved_at).where(
    _responses.c.attempt_id == bindparam("attempt_id", type_=Uuid),
    _responses.c.ref == bindparam("ref"),
)


@dataclass(frozen=True)
class AttemptState:
    owner_id: uuid.UUID
    status: str
    deadline_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerWrite:
    """One autosave: written only if the attempt is ``user_id``'s, in progress and open
    at ``cutoff`` (now minus the grace), and ``seq`` is newer than what is stored."""

    attempt_id: uuid.UUID
    user_id: uuid.UUID
    ref: str
    seq: int
    choices: list[str] | None
    files: dict[str, str] | None
    flagged: bool
    saved_at: datetime
    cutoff: datetime
    digest: str
    answered_at: datetime | None  # saved_at when this save holds an answer, else None


Stored = tuple[int, datetime, str]  # (seq, saved_at, receipt of the attempt) as stored

_DIGESTS = select(_responses.c.ref, _responses.c.digest).where(
    _responses.c.attempt_id == bindparam("attempt_id", type_=Uuid)
)


class AutosaveRepository:
    """The autosave hot path, on an engine in autocommit mode: the upsert is a single
    statement, atomic on its own, so it needs no BEGIN/COMMIT round trips and no ORM
    session; the reads behind it run only when the upsert wrote nothing. One per app.

    On PostgreSQL the upserts go through asyncpg's pool (see DriverPool), coalesced: the
    saves that arrive together are one statement and one commit (see Coalescer)."""

    def __init__(self, engine: AsyncEngine, driver: DriverPool | None = None) -> None:
        self.engine = engine
        self.driver = driver
        self.batches: Coalescer[tuple[uuid.UUID, str], AnswerWrite, Stored | None] = Coalescer(
            self._upsert_many, key=lambda w: (w.attempt_id, w.ref)
        )

    async def form_meta(self, attempt_id: uuid.UUID, now: datetime) -> FormMeta | None:
        """Cached once its clock has started: a start still to come can move (a sitting
        rescheduled), a start past cannot."""
        meta = _form_meta_cache.get(attempt_id)
        if meta is not None:
            return meta
        async with self.engine.connect() as connection:
            rows = (await connection.execute(_FORM_META, {"attempt_id": attempt_id})).all()
        if not rows:
            return None
        meta = FormMeta(
            rows[0][0],
            {
                ref: item_meta(
                    kind, len(order or []), item_type == "multiple", scenario_id, position
                )
                for _, _, ref, kind, order, item_type, scenario_id, position in rows
            },
            rows[0][1],
        )
        if meta.starts_at <= now:
            _form_meta_cache.put(attempt_id, meta)
        return meta

    async def upsert_response(self, write: AnswerWrite) -> Stored | None:
        """Stores the answer if allowed; returns what is stored, or None when nothing
        was written (closed, not the owner's, or an older ``seq``)."""
        if self.driver is not None:
            return await self.batches.submit(write)
        # The statement's parameters are named after the fields.
        values = {f.name: getattr(write, f.name) for f in fields(AnswerWrite)}
        async with self.engine.connect() as connection:
            row = (await connection.execute(_SQLITE_UPSERT, values)).one_or_none()
            if row is None:
                return None
            digests = (await connection.execute(_DIGESTS, {"attempt_id": write.attempt_id})).all()
        return (row[2], row[3], receipts.receipt((r, d or "") for r, d in digests))

    async def _upsert_many(self, writes: Sequence[AnswerWrite]) -> list[Stored | None]:
        assert self.driver is not None
        values: dict[str, Any] = {
            "attempt_ids": [w.attempt_id for w in writes],
            "user_ids": [w.user_id for w in writes],
            "refs": [w.ref for w in writes],
            "seqs": [w.seq for w in writes],
            # asyncpg takes JSONB as text.
            "choices": [None if w.choices is None else json.dumps(w.choices) for w in writes],
            "files": [None if w.files is None else json.dumps(w.files) for w in writes],
            "flagged": [w.flagged for w in writes],
            "saved_at": [w.saved_at for w in writes],
            "cutoffs": [w.cutoff for w in writes],
            "digests": [w.digest for w in writes],
            "answered_at": [w.answered_at for w in writes],
            "status_1": AttemptStatus.in_progress.value,
        }
        records = await self.driver.fetch(
            _PG_UPSERT_RECEIPTS_SQL, *(values[name] for name in _PG_UPSERT_MANY_ORDER)
        )
        receipt_of: dict[uuid.UUID, str] = {}
        for r in records:
            if r[0] not in receipt_of:
                receipt_of[r[0]] = receipts.receipt(zip(r[4], r[5], strict=True))
        stored = {(r[0], r[1]): (r[2], r[3], receipt_of[r[0]]) for r in records}
        return [stored.get((w.attempt_id, w.ref)) for w in writes]

    async def attempt_state(self, attempt_id: uuid.UUID) -> AttemptState | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(_ATTEMPT_STATE, {"attempt_id": attempt_id})
            ).one_or_none()
        return AttemptState(row[0], row[1], row[2]) if row is not None else None

    async def stored_response(self, attempt_id: uuid.UUID, ref: str) -> Stored | None:
        """What is stored for ``ref``, with the receipt of the attempt's stored answers."""
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(_STORED_RESPONSE, {"attempt_id": attempt_id, "ref": ref})
            ).one_or_none()
            if row is None:
                return None
            digests = (await connection.execute(_DIGESTS, {"attempt_id": attempt_id})).all()
        return (row[0], row[1], receipts.receipt((r, d or "") for r, d in digests))
