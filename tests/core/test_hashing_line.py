"""The password-hashing line: hashes run off the event loop, a storm waits in line, and
a hash that would wait past the bound is refused at once with when to ask again."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from app.core.errors import SignInBusy
from app.core.security import HashingLine


class StepTimer:
    """A timer that says each hash took exactly ``step`` seconds: a thread's calls
    alternate between a hash's start (0) and its end (``step``)."""

    def __init__(self, step: float) -> None:
        self.step = step
        self._calls = threading.local()

    def __call__(self) -> float:
        n = getattr(self._calls, "n", 0)
        self._calls.n = n + 1
        return (n % 2) * self.step


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # never leave a pool thread blocked


async def test_hashes_queue_until_the_bound_then_are_refused_with_retry_after(
    gate: threading.Event,
) -> None:
    line = HashingLine(2, 3.0, seconds=1.0, timer=StepTimer(1.0))

    def work(n: int) -> int:
        assert gate.wait(10)
        return n

    # Two hashing and six waiting: the last one asked waits (6 // 2) * 1 s = 3 s: in.
    held = [asyncio.create_task(line.run(work, n)) for n in range(8)]
    await asyncio.sleep(0)  # every task has taken its place
    assert line.in_line == 8
    assert line.expected_wait() == 4.0
    # The ninth would wait 4 s, over the 3 s bound: refused without taking a place.
    with pytest.raises(SignInBusy) as refused:
        await line.run(work, 99)
    assert refused.value.details == {"retry_after": 2}  # ceil(4 - 3) + 1
    assert refused.value.status_code == 503 and refused.value.code == "sign_in_busy"
    assert not refused.value.is_failure
    assert line.in_line == 8

    gate.set()
    assert await asyncio.gather(*held) == list(range(8))
    assert line.in_line == 0
    assert line.seconds == pytest.approx(1.0)  # the measured time, as the timer says
    assert await line.run(work, 5) == 5  # the line is short again


async def test_a_failing_hash_gives_its_place_back() -> None:
    line = HashingLine(1, 1.0, seconds=0.5)

    def broken() -> None:
        raise ValueError("bad hash")

    with pytest.raises(ValueError, match="bad hash"):
        await line.run(broken)
    assert line.in_line == 0


async def test_zero_never_refuses(gate: threading.Event) -> None:
    line = HashingLine(1, 0.0, seconds=100.0)

    def work() -> str:
        assert gate.wait(10)
        return "ok"

    held = [asyncio.create_task(line.run(work)) for _ in range(5)]
    await asyncio.sleep(0)
    assert line.expected_wait() == 500.0
    late = asyncio.create_task(line.run(work))
    gate.set()
    assert await asyncio.gather(*held, late) == ["ok"] * 6


async def test_a_place_counts_from_when_it_is_taken_not_when_the_hash_starts() -> None:
    line = HashingLine(1, 1.0, seconds=1.0)
    async with line.place(), line.place():
        # Two places held by sign-ins still reading their user: a third would wait 2 s.
        assert line.expected_wait() == 2.0
        with pytest.raises(SignInBusy):
            async with line.place():
                pass  # pragma: no cover - refused before the block
        assert line.in_line == 2
    assert line.in_line == 0
