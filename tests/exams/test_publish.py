"""Publishing the bank: versions, idempotence, retirement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from app.core.db import session_scope
from app.exams import service
from app.exams.content import load_bank
from app.exams.models import ExamVersion, ItemVersion
from app.exams.repository import ExamRepository
from tests.bank import blueprint, standard_items, write_bank


async def _publish(
    sm: async_sessionmaker[AsyncSession], clock: ManualClock, root: Path
) -> service.PublishReport:
    async with session_scope(sm) as session:
        return await service.publish_bank(session, clock, load_bank(root))


async def _versions(
    sm: async_sessionmaker[AsyncSession], item_id: str
) -> list[tuple[int, bool, bool]]:
    async with sm() as session:
        rows = await session.execute(
            select(ItemVersion.version, ItemVersion.is_current, ItemVersion.retired)
            .where(ItemVersion.item_id == item_id)
            .order_by(ItemVersion.version)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_publishing_twice_changes_nothing(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    root = write_bank(tmp_path / "b", [blueprint()], standard_items())
    first = await _publish(sessionmaker, clock, root)
    assert first.new_exam_versions == 1 and first.new_item_versions == len(standard_items())
    again = await _publish(sessionmaker, clock, root)
    assert (again.new_exam_versions, again.new_item_versions) == (0, 0)


async def test_an_edited_item_is_a_new_version_and_a_removed_one_is_retired(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    items = standard_items()
    root = write_bank(tmp_path / "b", [blueprint()], items)
    await _publish(sessionmaker, clock, root)
    items[0]["stem"] += " (edited for clarity)"
    removed = items.pop(1)
    write_bank(tmp_path / "c", [blueprint()], items)
    report = await _publish(sessionmaker, clock, tmp_path / "c")
    assert report.new_item_versions == 1
    assert await _versions(sessionmaker, items[0]["id"]) == [(1, False, False), (2, True, False)]
    assert await _versions(sessionmaker, removed["id"]) == [(1, True, True)]


async def test_an_edited_blueprint_is_a_new_exam_version(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    await _publish(sessionmaker, clock, write_bank(tmp_path / "b", [blueprint()], standard_items()))
    await _publish(
        sessionmaker,
        clock,
        write_bank(tmp_path / "c", [blueprint(duration_minutes=45)], standard_items()),
    )
    async with sessionmaker() as session:
        rows = (
            (await session.execute(select(ExamVersion).order_by(ExamVersion.version)))
            .scalars()
            .all()
        )
    assert [(r.version, r.is_current, r.duration_minutes) for r in rows] == [
        (1, False, 30),
        (2, True, 45),
    ]


async def test_the_drawable_pool_is_kept_for_its_lifetime_on_the_apps_clock(
    tmp_path: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A start draws from this process's copy of the pool; its age is the app's clock's
    (a test moves it), and a copy from the clock's future is not trusted."""
    await _publish(sessionmaker, clock, write_bank(tmp_path / "b", [blueprint()], standard_items()))
    reads = 0
    real = ExamRepository.drawable_items

    async def counted(self: ExamRepository) -> Any:
        nonlocal reads
        reads += 1
        return await real(self)

    monkeypatch.setattr(ExamRepository, "drawable_items", counted)

    async def draw() -> int:
        async with sessionmaker() as session:
            pool, _ = await service.drawable_pool(session, clock)
        return len(pool)

    assert await draw() == len(standard_items()) and reads == 1
    clock.advance(seconds=service.POOL_LIFETIME.total_seconds() - 1)
    await draw()
    assert reads == 1  # within its lifetime: the copy
    clock.advance(seconds=1)
    await draw()
    assert reads == 2  # its lifetime is up: read again
    clock.advance(seconds=-10)
    await draw()
    assert reads == 3  # read after "now": read again
