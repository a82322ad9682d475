"""Every query about attempts. The autosave path is one prebuilt Core statement per
dialect: it checks the owner, the status and the deadline and writes the answer in the
same statement, so no answer can land in a closed attempt and the common case is one
round trip."""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, Uuid, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.dml import Insert

from app.attempts.models import Attempt, AttemptItem, AttemptStatus, Response
from app.core.db import DriverPool, JSONType, UTCDateTime, driver_statement
from app.exams.models import ItemVersion

_attempts = Attempt.__table__
_responses = Response.__table__


def _build_upsert(dialect: str) -> Insert:
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert

    def param(name: str, type_: Any) -> Any:
        # asyncpg must be told parameter types in a SELECT list; on SQLite a CAST would
        # apply column affinity (a timestamp CAST AS DATETIME becomes a number).
        value = bindparam(name, type_=type_)
        return cast(value, type_) if dialect == "postgresql" else value

    source = (
        select(
            _attempts.c.id,
            param("ref", String(16)),
            param("seq", Integer()),
            param("choices", JSONType),
            param("files", JSONType),
            param("flagged", Boolean()),
            param("saved_at", UTCDateTime()),
        )
        .where(
            _attempts.c.id == bindparam("attempt_id", type_=Uuid),
            _attempts.c.user_id == bindparam("user_id", type_=Uuid),
            _attempts.c.status == AttemptStatus.in_progress.value,
            _attempts.c.deadline_at > bindparam("cutoff", type_=UTCDateTime()),
        )
        # On PostgreSQL this waits for a submit holding the row, then re-checks it.
        .with_for_update(read=True)
    )
    stmt = insert(_responses).from_select(
        ["attempt_id", "ref", "seq", "choices", "files", "flagged", "saved_at"], source
    )
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["attempt_id", "ref"],
        set_={
            "seq": excluded.seq,
            "choices": excluded.choices,
            "files": excluded.files,
            "flagged": excluded.flagged,
            "saved_at": excluded.saved_at,
        },
        # An older or repeated seq is acknowledged but changes nothing.
        where=_responses.c.seq < excluded.seq,
    ).returning(_responses.c.seq, _responses.c.saved_at)


_UPSERTS = {name: _build_upsert(name) for name in ("postgresql", "sqlite")}
# On PostgreSQL the same statement goes to asyncpg directly: compiled once here with $n
# parameters, it skips SQLAlchemy's per-execution work on the hottest path.
_PG_UPSERT_SQL, _PG_UPSERT_ORDER = driver_statement(_UPSERTS["postgresql"])


@dataclass(frozen=True)
class ItemMeta:
    """What validating an answer needs; fixed once the attempt's form is drawn."""

    kind: str
    option_count: int
    multiple: bool
    scenario_id: str | None = None


@dataclass(frozen=True)
class FormMeta:
    owner_id: uuid.UUID
    items: dict[str, ItemMeta]


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
        AttemptItem.__table__.c.ref,
        AttemptItem.__table__.c.kind,
        AttemptItem.__table__.c.option_order,
        ItemVersion.__table__.c.type,
        AttemptItem.__table__.c.scenario_id,
    )
    .select_from(AttemptItem.__table__)
    .join(_attempts, _attempts.c.id == AttemptItem.__table__.c.attempt_id)
    .outerjoin(
        ItemVersion.__table__,
        ItemVersion.__table__.c.id == AttemptItem.__table__.c.item_version_id,
    )
    .where(AttemptItem.__table__.c.attempt_id == bindparam("attempt_id", type_=Uuid))
)


def remember_form(attempt: Attempt, items: Sequence[AttemptItem], types: dict[str, str]) -> None:
    _form_meta_cache.put(
        attempt.id,
        FormMeta(
            attempt.user_id,
            {
                i.ref: ItemMeta(
                    i.kind, len(i.option_order or []), types.get(i.ref) == "multiple", i.scenario_id
                )
                for i in items
            },
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

    async def response(self, attempt_id: uuid.UUID, ref: str) -> Response | None:
        return await self.session.get(Response, (attempt_id, ref))

    async def seen_item_ids(self, user_id: uuid.UUID) -> set[str]:
        result = await self.session.execute(
            select(ItemVersion.item_id)
            .join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(Attempt.user_id == user_id)
        )
        return set(result.scalars())

    async def item_exposure(self) -> dict[str, int]:
        """How many forms each item has appeared on, over all its versions."""
        result = await self.session.execute(
            select(ItemVersion.item_id, func.count())
            .join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id)
            .group_by(ItemVersion.item_id)
        )
        return {item_id: count for item_id, count in result}

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


class AutosaveRepository:
    """The autosave hot path, on an engine in autocommit mode: the upsert is a single
    statement, atomic on its own, so it needs no BEGIN/COMMIT round trips and no ORM
    session; the reads behind it run only when the upsert wrote nothing."""

    def __init__(self, engine: AsyncEngine, driver: DriverPool | None = None) -> None:
        self.engine = engine
        # On PostgreSQL the upsert goes through asyncpg's pool (see DriverPool).
        self.driver = driver

    async def form_meta(self, attempt_id: uuid.UUID) -> FormMeta | None:
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
                ref: ItemMeta(kind, len(order or []), item_type == "multiple", scenario_id)
                for _, ref, kind, order, item_type, scenario_id in rows
            },
        )
        _form_meta_cache.put(attempt_id, meta)
        return meta

    async def upsert_response(
        self,
        *,
        attempt_id: uuid.UUID,
        user_id: uuid.UUID,
        ref: str,
        seq: int,
        choices: list[str] | None,
        files: dict[str, str] | None,
        flagged: bool,
        saved_at: datetime,
        cutoff: datetime,
    ) -> tuple[int, datetime] | None:
        """Stores the answer if the attempt is open and ``seq`` is newer; returns the
        stored (seq, saved_at), or None when nothing was written."""
        values: dict[str, Any] = {
            "attempt_id": attempt_id,
            "user_id": user_id,
            "ref": ref,
            "seq": seq,
            "choices": choices,
            "files": files,
            "flagged": flagged,
            "saved_at": saved_at,
            "cutoff": cutoff,
        }
        if self.driver is not None:
            # asyncpg takes JSONB parameters as text.
            values["choices"] = None if choices is None else json.dumps(choices)
            values["files"] = None if files is None else json.dumps(files)
            values["status_1"] = AttemptStatus.in_progress.value
            record = await self.driver.fetchrow(
                _PG_UPSERT_SQL, *(values[name] for name in _PG_UPSERT_ORDER)
            )
            return (record[0], record[1]) if record is not None else None
        async with self.engine.connect() as connection:
            result = await connection.execute(_UPSERTS[connection.dialect.name], values)
            row = result.one_or_none()
        return (row[0], row[1]) if row is not None else None

    async def attempt_state(self, attempt_id: uuid.UUID) -> AttemptState | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(_ATTEMPT_STATE, {"attempt_id": attempt_id})
            ).one_or_none()
        return AttemptState(row[0], row[1], row[2]) if row is not None else None

    async def stored_response(self, attempt_id: uuid.UUID, ref: str) -> tuple[int, datetime] | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(_STORED_RESPONSE, {"attempt_id": attempt_id, "ref": ref})
            ).one_or_none()
        return (row[0], row[1]) if row is not None else None
