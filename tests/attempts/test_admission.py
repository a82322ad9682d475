"""The admission line behind its port: in memory on SQLite, in PostgreSQL otherwise,
where every API process shares it (capacity, places, arrival times and the start times
the wait is estimated from)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.attempts import shared_admission
from app.attempts.admission import (
    ADMITTED_LEASE,
    AdmissionLine,
    Admitted,
    MemoryLine,
    Waiting,
)
from app.attempts.shared_admission import SharedLine
from app.config import Settings
from app.core.clock import ManualClock
from app.core.seeds import SeededSeeds
from app.main import create_app
from tests.conftest import FORM_SEED


def _line(app: FastAPI, capacity: int) -> AdmissionLine:
    line: AdmissionLine = app.state.admission
    line.capacity = capacity
    return line


async def _admitted(line: AdmissionLine, key: uuid.UUID, clock: ManualClock) -> Admitted:
    entry = await line.enter(key, clock.now())
    assert isinstance(entry, Admitted), entry
    return entry


async def _position(line: AdmissionLine, key: uuid.UUID, clock: ManualClock) -> int:
    entry = await line.enter(key, clock.now())
    assert isinstance(entry, Waiting), entry
    assert 1 <= entry.retry_after_seconds <= entry.estimated_wait_seconds
    return entry.position


def test_the_line_is_shared_on_postgresql_and_in_memory_otherwise(
    app: FastAPI, engine: AsyncEngine
) -> None:
    expected = SharedLine if engine.dialect.name == "postgresql" else MemoryLine
    assert isinstance(app.state.admission, expected)


async def test_capacity_holds_and_the_line_is_first_come_first_served(
    app: FastAPI, clock: ManualClock
) -> None:
    line = _line(app, 2)
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    first, second = await _admitted(line, a, clock), await _admitted(line, b, clock)
    assert await _position(line, c, clock) == 1
    assert await _position(line, d, clock) == 2
    clock.advance(seconds=3)
    # Asking again keeps the place and the time of arrival.
    assert await _position(line, d, clock) == 2
    await line.leave(first, clock.now())
    # One slot free: the first in line only.
    assert await _position(line, d, clock) == 2
    third = await _admitted(line, c, clock)
    assert third.arrived_at == clock.now() - timedelta(seconds=3)
    assert await _position(line, d, clock) == 1
    await line.leave(second, clock.now())
    fourth = await _admitted(line, d, clock)
    assert fourth.arrived_at == third.arrived_at
    await line.leave(third, clock.now())
    await line.leave(fourth, clock.now())
    assert isinstance(await line.enter(uuid.uuid4(), clock.now()), Admitted)


async def test_a_place_not_asked_for_again_is_given_up(
    app: FastAPI, clock: ManualClock, settings: Settings
) -> None:
    line = _line(app, 1)
    busy = await _admitted(line, uuid.uuid4(), clock)
    gone, stays = uuid.uuid4(), uuid.uuid4()
    assert await _position(line, gone, clock) == 1
    assert await _position(line, stays, clock) == 2
    clock.advance(seconds=settings.admission_ticket_seconds - 1)
    assert await _position(line, stays, clock) == 2
    clock.advance(seconds=2)  # `gone` last asked a ticket's time ago
    assert await _position(line, stays, clock) == 1
    await line.leave(busy, clock.now())
    assert isinstance(await line.enter(stays, clock.now()), Admitted)


async def test_two_processes_share_one_line(
    app: FastAPI,
    engine: AsyncEngine,
    settings: Settings,
    clock: ManualClock,
    apps: list[FastAPI],
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the embedded setup is one process: its line is in memory")
    other = create_app(
        settings, clock, engine=engine, run_sweeper=False, seeds=SeededSeeds(FORM_SEED)
    )
    apps.append(other)
    here, there = _line(app, 1), _line(other, 1)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    busy = await _admitted(here, a, clock)
    # The slot taken here is taken there too; the places are one line.
    assert await _position(there, b, clock) == 1
    assert await _position(here, c, clock) == 2
    clock.advance(seconds=4)
    assert await _position(here, b, clock) == 1
    assert await _position(there, c, clock) == 2
    await here.leave(busy, clock.now())
    assert await _position(here, c, clock) == 2  # b is first, whichever process c asks
    admitted = await _admitted(there, b, clock)
    assert admitted.arrived_at == clock.now() - timedelta(seconds=4)


async def test_a_start_whose_process_died_frees_its_slot(
    app: FastAPI, engine: AsyncEngine, clock: ManualClock
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("in memory a start dies with its process and its line")
    line = _line(app, 1)
    await _admitted(line, uuid.uuid4(), clock)  # never leaves
    waiter = uuid.uuid4()
    assert await _position(line, waiter, clock) == 1
    for _ in range(int(ADMITTED_LEASE.total_seconds() // 20)):
        clock.advance(seconds=20)  # the waiter keeps asking
        assert await _position(line, waiter, clock) == 1
    clock.advance(seconds=21)
    assert isinstance(await line.enter(waiter, clock.now()), Admitted)


async def test_far_back_the_position_is_estimated_never_below_the_truth(
    app: FastAPI,
    engine: AsyncEngine,
    clock: ManualClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the in-memory line knows every place exactly")
    monkeypatch.setattr(shared_admission, "EXACT_PLACES", 1)  # 2 places counted exactly
    line = _line(app, 1)
    busy = await _admitted(line, uuid.uuid4(), clock)
    a, b, c, d, e = (uuid.uuid4() for _ in range(5))
    assert [await _position(line, k, clock) for k in (a, b, c, d, e)] == [1, 2, 3, 4, 5]
    # d goes away; the others keep asking.
    clock.advance(seconds=settings.admission_ticket_seconds - 1)
    assert [await _position(line, k, clock) for k in (a, b, c, e)] == [1, 2, 3, 5]
    clock.advance(seconds=2)
    # e is 4th now; its estimate still counts d's number (an upper bound) until the
    # exactly counted window reaches it.
    assert await _position(line, e, clock) == 5
    await line.leave(busy, clock.now())
    assert isinstance(await line.enter(a, clock.now()), Admitted)
    assert await _position(line, e, clock) == 4  # b, c counted; d's number still between
    assert await _position(line, c, clock) == 2


async def _waits(line: AdmissionLine, key: uuid.UUID, clock: ManualClock) -> tuple[int, int, int]:
    entry = await line.enter(key, clock.now())
    assert isinstance(entry, Waiting), entry
    return entry.position, entry.estimated_wait_seconds, entry.retry_after_seconds


async def _starts_taking(
    line: AdmissionLine, clock: ManualClock, seconds: float, count: int = 1
) -> None:
    """``count`` starts one after another on ``line``, each taking ``seconds``."""
    for _ in range(count):
        start = await _admitted(line, uuid.uuid4(), clock)
        clock.advance(seconds=seconds)
        await line.leave(start, clock.now())


async def test_the_wait_is_estimated_from_how_long_starts_take(
    app: FastAPI, engine: AsyncEngine, clock: ManualClock
) -> None:
    line = _line(app, 2)
    busy = [await _admitted(line, uuid.uuid4(), clock) for _ in range(2)]
    first = uuid.uuid4()
    # No start has ended yet: 0.5 s a start, two slots.
    assert await _waits(line, first, clock) == (1, 1, 1)
    clock.advance(seconds=3.3)
    for start in busy:
        await line.leave(start, clock.now())
    # Four starts of 3.3 s each.
    busy = [await _admitted(line, key, clock) for key in (first, uuid.uuid4())]
    clock.advance(seconds=3.3)
    for start in busy:
        await line.leave(start, clock.now())
    busy = [await _admitted(line, uuid.uuid4(), clock) for _ in range(2)]
    waiting = [await _waits(line, uuid.uuid4(), clock) for _ in range(3)]
    if engine.dialect.name == "postgresql":
        # The deployment's average: the first start that ended replaced the guess, and
        # the others took as long: 3.3 s, two places every 3.3 s.
        assert waiting == [(1, 2, 2), (2, 4, 4), (3, 5, 5)]
    else:
        # This process's moving average from the guess: 0.5 s -> 0.78 -> 1.032 ->
        # 1.2588 -> 1.46292.
        assert waiting == [(1, 1, 1), (2, 2, 2), (3, 3, 3)]


async def test_every_process_tells_a_waiter_the_same_wait(
    app: FastAPI,
    engine: AsyncEngine,
    settings: Settings,
    clock: ManualClock,
    apps: list[FastAPI],
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the embedded setup is one process: its line is in memory")
    other = create_app(
        settings, clock, engine=engine, run_sweeper=False, seeds=SeededSeeds(FORM_SEED)
    )
    apps.append(other)
    here, there = _line(app, 1), _line(other, 1)
    # Starts of 6.4 s, all served here.
    await _starts_taking(here, clock, 6.4, count=2)
    busy = await _admitted(there, uuid.uuid4(), clock)
    a, b = uuid.uuid4(), uuid.uuid4()
    # The process that served none knows them: 6.4 s a place, one slot (asked again
    # within 10 s at most).
    assert await _waits(there, a, clock) == (1, 7, 7)
    assert await _waits(there, b, clock) == (2, 13, 10)
    assert await _waits(here, b, clock) == (2, 13, 10)
    # A start of 0.5 s that ended there: 0.9 x 6.4 + 0.1 x 0.5 = 5.81 s, for both.
    clock.advance(seconds=0.5)
    await there.leave(busy, clock.now())
    busy = await _admitted(here, a, clock)
    assert await _waits(here, b, clock) == (1, 6, 6)
    assert await _waits(there, b, clock) == (1, 6, 6)
    await here.leave(busy, clock.now())


async def test_the_first_start_that_ends_replaces_the_guess(
    app: FastAPI, engine: AsyncEngine, clock: ManualClock
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the in-memory line's moving average starts from the guess (above)")
    line = _line(app, 1)
    await _starts_taking(line, clock, 9)
    busy = await _admitted(line, uuid.uuid4(), clock)
    waiter = uuid.uuid4()
    assert await _waits(line, waiter, clock) == (1, 9, 9)
    # Then each start moves it by a tenth of the way: 0.9 x 9 + 0.1 x 14 = 9.5 s.
    clock.advance(seconds=14)
    await line.leave(busy, clock.now())
    busy = await _admitted(line, waiter, clock)
    assert await _waits(line, uuid.uuid4(), clock) == (1, 10, 10)
