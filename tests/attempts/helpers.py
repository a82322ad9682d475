from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.attempts.models import AttemptItem
from app.core.db import DriverPool
from app.exams.models import ItemVersion


async def keyed_labels(
    sessionmaker: async_sessionmaker[AsyncSession], attempt_id: str
) -> dict[str, list[str]]:
    """For each ref, the labels (a, b, ...) the candidate must pick to be right."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(AttemptItem.ref, AttemptItem.option_order, ItemVersion.key)
            .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
            .where(AttemptItem.attempt_id == uuid.UUID(attempt_id))
        )
        return {ref: sorted("abcde"[order.index(k)] for k in key) for ref, order, key in rows}


def wrong_labels(right: list[str]) -> list[str]:
    return [next(label for label in "abcd" if label not in right)]


@contextmanager
def sent_statements(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement sent, through SQLAlchemy or the driver pool (PostgreSQL). A
    transaction an ORM session opens shows as the statements it runs."""
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    def counted(name: str) -> Any:
        original = getattr(DriverPool, name)

        async def run(self: DriverPool, sql: str, *args: Any) -> Any:
            seen.append(" ".join(sql.split()))
            return await original(self, sql, *args)

        return run

    with monkeypatch.context() as patch:
        patch.setattr(DriverPool, "fetch", counted("fetch"))
        patch.setattr(DriverPool, "fetchrow", counted("fetchrow"))
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        try:
            yield seen
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)


def own_statements(seen: list[str]) -> list[str]:
    # SQLite's pragmas on a new connection are not the request's.
    return [s for s in seen if not s.startswith("PRAGMA")]
