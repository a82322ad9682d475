"""The coalescer: what arrives together goes together, one key at a time, in order, and a
bad row fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from app.core.batching import Coalescer


class Store:
    """A fake multi-row write: records each batch, can be told to fail on a value or to
    hold a batch until released."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, int]]] = []
        self.values: dict[str, int] = {}
        self.poison: set[int] = set()
        self.gate: asyncio.Event | None = None

    async def run(self, items: Sequence[tuple[str, int]]) -> list[str]:
        self.batches.append(list(items))
        if self.gate is not None:
            await self.gate.wait()
        if any(value in self.poison for _, value in items):
            raise ValueError("bad row")
        for key, value in items:
            self.values[key] = value
        return [f"{key}={value}" for key, value in items]


def coalescer(store: Store, **kw: int) -> Coalescer[str, tuple[str, int], str]:
    return Coalescer(store.run, key=lambda item: item[0], **kw)


async def test_writes_that_arrive_together_are_one_batch() -> None:
    store = Store()
    c = coalescer(store)
    results = await asyncio.gather(*(c.submit((f"k{n}", n)) for n in range(10)))
    assert results == [f"k{n}={n}" for n in range(10)]
    assert len(store.batches) == 1 and c.batches == 1


async def test_a_lone_write_goes_alone_and_later_ones_are_not_stranded() -> None:
    store = Store()
    c = coalescer(store)
    for n in range(3):
        assert await c.submit(("k", n)) == f"k={n}"
    assert store.batches == [[("k", 0)], [("k", 1)], [("k", 2)]]


async def test_one_key_is_written_once_per_batch_in_arrival_order() -> None:
    store = Store()
    c = coalescer(store)
    results = await asyncio.gather(
        c.submit(("a", 1)), c.submit(("b", 1)), c.submit(("a", 2)), c.submit(("a", 3))
    )
    assert results == ["a=1", "b=1", "a=2", "a=3"]
    assert [[key for key, _ in batch] for batch in store.batches] == [["a", "b"], ["a"], ["a"]]
    assert store.values == {"a": 3, "b": 1}


async def test_a_key_in_flight_waits_for_its_batch() -> None:
    store = Store()
    store.gate = asyncio.Event()
    c = coalescer(store, max_in_flight=2)
    first = asyncio.create_task(c.submit(("a", 1)))
    await asyncio.sleep(0)  # the first batch is sent and held
    second = asyncio.create_task(c.submit(("a", 2)))
    other = asyncio.create_task(c.submit(("b", 1)))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    # The second drain took only "b": "a" is in flight.
    assert store.batches == [[("a", 1)], [("b", 1)]]
    store.gate.set()
    assert await asyncio.gather(first, second, other) == ["a=1", "a=2", "b=1"]
    assert store.batches[-1] == [("a", 2)] and store.values["a"] == 2


async def test_a_failed_batch_is_retried_row_by_row() -> None:
    store = Store()
    store.poison = {13}
    c = coalescer(store)
    results = await asyncio.gather(
        c.submit(("a", 1)), c.submit(("b", 13)), c.submit(("c", 3)), return_exceptions=True
    )
    assert results[0] == "a=1" and results[2] == "c=3"
    assert isinstance(results[1], ValueError)
    assert store.values == {"a": 1, "c": 3}


async def test_batches_are_bounded() -> None:
    store = Store()
    c = coalescer(store, max_batch=4, max_in_flight=1)
    await asyncio.gather(*(c.submit((f"k{n}", n)) for n in range(10)))
    assert [len(batch) for batch in store.batches] == [4, 4, 2]


async def test_cancelled_batch_does_not_leave_callers_waiting() -> None:
    store = Store()
    store.gate = asyncio.Event()
    c = coalescer(store)
    waiting = asyncio.create_task(c.submit(("a", 1)))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    for task in list(c._tasks):  # shutdown cancels the drain mid-statement
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    store.gate.set()
    assert await c.submit(("a", 2)) == "a=2"  # and the coalescer still works
