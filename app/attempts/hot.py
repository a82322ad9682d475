"""The exam page's hot reads, without an ORM session or a transaction: what opening an
attempt costs (its state, then an item), which every candidate of a sitting asks at the
same moment. Each is one autocommit statement (asyncpg's own pool on PostgreSQL, as
autosave); what never changes once an attempt is drawn (its form) comes from the
per-process form cache (``repository.FormMeta``) and the items' text from the
per-process item cache (``exams.service.item_content``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Select

from app.attempts.models import Attempt, AttemptItem, AttemptStatus, Response
from app.availability.models import DeadlineCredit
from app.core.db import DriverPool, driver_statement

_attempts = Attempt.__table__
_items = AttemptItem.__table__
_responses = Response.__table__
_credits = DeadlineCredit.__table__

# One item as this candidate's attempt has it, with their stored answer: the attempt's
# owner and start (ownership and "has the clock started" are judged on them), the slot
# (none: no such ref) and the response (none: not answered yet).
_ITEM = (
    select(
        _attempts.c.user_id,
        _attempts.c.started_at,
        _items.c.kind,
        _items.c.item_version_id,
        _items.c.option_order,
        _responses.c.choices,
        _responses.c.flagged,
        _responses.c.seq,
    )
    .select_from(_attempts)
    .outerjoin(
        _items,
        (_items.c.attempt_id == _attempts.c.id) & (_items.c.ref == bindparam("ref")),
    )
    .outerjoin(
        _responses,
        (_responses.c.attempt_id == _attempts.c.id) & (_responses.c.ref == bindparam("ref")),
    )
    .where(_attempts.c.id == bindparam("attempt_id", type_=Uuid))
)

# The attempt's row as the state shows it, with the time credited for outages, and its
# stored answers: one row per answer (the attempt's columns repeated), or one row with
# no answer.
_STATE = (
    select(
        _attempts.c.user_id,
        _attempts.c.exam_code,
        _attempts.c.status,
        _attempts.c.started_at,
        _attempts.c.deadline_at,
        _attempts.c.submitted_at,
        _attempts.c.receipt,
        select(func.coalesce(func.sum(_credits.c.seconds), literal_column("0")))
        .where(_credits.c.attempt_id == _attempts.c.id)
        .scalar_subquery(),
        _responses.c.ref,
        _responses.c.choices,
        _responses.c.files,
        _responses.c.flagged,
        _responses.c.digest,
    )
    .select_from(_attempts)
    .outerjoin(_responses, _responses.c.attempt_id == _attempts.c.id)
    .where(_attempts.c.id == bindparam("attempt_id", type_=Uuid))
)


@dataclass(frozen=True)
class ItemSlot:
    owner_id: uuid.UUID
    started_at: datetime
    # None: the attempt has no item of that ref.
    kind: str | None
    item_version_id: uuid.UUID | None
    option_order: list[str]
    choices: list[str]
    flagged: bool
    # The stored seq (0: nothing saved).
    seq: int


@dataclass(frozen=True)
class StateRow:
    owner_id: uuid.UUID
    exam_code: str
    status: AttemptStatus
    started_at: datetime
    deadline_at: datetime
    submitted_at: datetime | None
    receipt: str | None
    credited_seconds: int


@dataclass(frozen=True)
class StoredAnswer:
    ref: str
    choices: list[str] | None
    files: dict[str, str] | None
    flagged: bool
    digest: str | None


def _json(value: Any) -> Any:
    # asyncpg hands JSONB over as its text; SQLAlchemy's types have decoded it already.
    return json.loads(value) if isinstance(value, str) else value


class _Statement:
    """A Core statement run on the driver pool (PostgreSQL) or an autocommit connection."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self.sql, self.order = driver_statement(statement)


class HotReads:
    """One per app (``dependencies.attach_engine``)."""

    def __init__(self, engine: AsyncEngine, driver: DriverPool | None) -> None:
        self.engine = engine
        self.driver = driver
        self._item = _Statement(_ITEM)
        self._state = _Statement(_STATE)

    async def _fetch(self, statement: _Statement, **values: Any) -> Sequence[Any]:
        if self.driver is not None:
            records: list[Any] = await self.driver.fetch(
                statement.sql, *(values[n] for n in statement.order)
            )
            return records
        async with self.engine.connect() as connection:
            rows: Sequence[Any] = (await connection.execute(statement.statement, values)).all()
        return rows

    async def item(self, attempt_id: uuid.UUID, ref: str) -> ItemSlot | None:
        """None when there is no such attempt."""
        rows = await self._fetch(self._item, attempt_id=attempt_id, ref=ref)
        if not rows:
            return None
        owner, started_at, kind, version_id, order, choices, flagged, seq = rows[0]
        return ItemSlot(
            owner,
            started_at,
            kind,
            version_id,
            list(_json(order) or []),
            list(_json(choices) or []),
            bool(flagged),
            seq or 0,
        )

    async def state(self, attempt_id: uuid.UUID) -> tuple[StateRow, list[StoredAnswer]] | None:
        """The attempt's row and its stored answers; None when there is no such attempt."""
        rows = await self._fetch(self._state, attempt_id=attempt_id)
        if not rows:
            return None
        owner, code, status, started_at, deadline_at, submitted_at, receipt, credited = rows[0][:8]
        row = StateRow(
            owner,
            code,
            AttemptStatus(status),
            started_at,
            deadline_at,
            submitted_at,
            receipt,
            int(credited),
        )
        answers = [
            StoredAnswer(ref, _json(choices), _json(files), bool(flagged), digest)
            for ref, choices, files, flagged, digest in (r[8:] for r in rows)
            if ref is not None
        ]
        return row, answers
