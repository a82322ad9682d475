"""The audit chain: appends link each entry to the one before; an edited, deleted or
reordered entry is found and named; concurrent appends still make one chain; and
`assay audit verify` says so with its exit code."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.core.clock import ManualClock
from app.core.db import session_scope
from app.proctoring import audit
from app.proctoring.audit import GENESIS, Actor
from app.proctoring.models import AuditEntry

ACTOR = Actor(uuid.uuid4(), "pat@example.org")


async def write_chain(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, count: int
) -> None:
    for n in range(count):
        async with session_scope(sessionmaker) as session:
            await audit.append(
                session,
                clock,
                ACTOR,
                "decision_hold",
                subject=f"attempt:{n}",
                attempt_id=uuid.uuid4(),
                details={"reason": f"reason {n}", "minutes": n, "revoked": ["A", "B"]},
            )
        clock.advance(seconds=1, microseconds=250)


async def report(sessionmaker: async_sessionmaker[AsyncSession]) -> audit.ChainReport:
    async with sessionmaker() as session:
        return await audit.verify(session)


async def test_entries_are_numbered_and_linked(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    assert (await report(sessionmaker)).intact  # an empty trail holds
    await write_chain(sessionmaker, clock, 4)
    async with sessionmaker() as session:
        entries = (await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars()
        chain = list(entries)
    assert [e.seq for e in chain] == [1, 2, 3, 4]
    assert chain[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    result = await report(sessionmaker)
    assert result.intact and result.entries == 4 and result.head == chain[-1].hash


async def test_an_edited_entry_is_named(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    await write_chain(sessionmaker, clock, 5)
    async with session_scope(sessionmaker) as session:
        await session.execute(
            update(AuditEntry).where(AuditEntry.seq == 3).values(details={"reason": "softened"})
        )
    result = await report(sessionmaker)
    assert (result.broken_at, result.intact) == (3, False)
    assert "entry #3 was changed" in result.problem


async def test_an_edit_that_rewrites_its_own_hash_breaks_the_next_link(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    await write_chain(sessionmaker, clock, 5)
    async with session_scope(sessionmaker) as session:
        entry = await session.get(AuditEntry, 2)
        assert entry is not None
        entry.actor = "someone else"
        entry.hash = audit.entry_hash(entry)
    result = await report(sessionmaker)
    assert result.broken_at == 3
    assert "does not follow entry #2" in result.problem


async def test_a_deleted_entry_is_named(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    await write_chain(sessionmaker, clock, 5)
    async with session_scope(sessionmaker) as session:
        await session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    result = await report(sessionmaker)
    assert result.broken_at == 2
    assert "entry #2 is missing" in result.problem


async def test_reordered_entries_are_found(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    await write_chain(sessionmaker, clock, 5)
    async with session_scope(sessionmaker) as session:
        # Swap entries 2 and 4 by their numbers.
        await session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=100))
        await session.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(seq=2))
        await session.execute(update(AuditEntry).where(AuditEntry.seq == 100).values(seq=4))
    result = await report(sessionmaker)
    assert result.broken_at == 2
    assert not result.intact


async def test_concurrent_appends_make_one_unbroken_chain(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    async def one(n: int) -> None:
        async with session_scope(sessionmaker) as session:
            await audit.append(
                session, clock, ACTOR, "extra_time", subject=f"attempt:{n}", details={"n": n}
            )

    await asyncio.gather(*(one(n) for n in range(20)))
    result = await report(sessionmaker)
    assert result.intact, result.problem
    assert result.entries == 20


def test_the_verify_command_exits_non_zero_on_a_broken_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.clock import ManualClock as Clock
    from app.core.db import create_engine, create_sessionmaker
    from app.core.migrate import upgrade_to_head
    from tests.conftest import START

    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"

    async def prepare(tamper: bool) -> None:
        engine: AsyncEngine = create_engine(url)
        try:
            await upgrade_to_head(engine)
            sessions = create_sessionmaker(engine)
            if not tamper:
                await write_chain(sessions, Clock(START), 3)
                return
            async with session_scope(sessions) as session:
                await session.execute(delete(AuditEntry).where(AuditEntry.seq == 1))
        finally:
            await engine.dispose()

    monkeypatch.setenv("ASSAY_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        asyncio.run(prepare(tamper=False))
        intact = runner.invoke(cli, ["audit", "verify"])
        assert intact.exit_code == 0, intact.output
        assert "audit chain intact: 3 entries" in intact.stdout
        asyncio.run(prepare(tamper=True))
        broken = runner.invoke(cli, ["audit", "verify"])
        assert broken.exit_code == 1
        assert "entry #1 is missing" in broken.output
    finally:
        get_settings.cache_clear()
