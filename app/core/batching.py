"""Coalescing of concurrent single-row writes into one statement.

Under load, many requests want the same one-row statement at the same moment. Sent one
by one, each pays a database round trip: a socket write and read on both sides and a
transaction with its own WAL flush. ``Coalescer`` gathers the writes that arrive while
the event loop is busy and sends them as one multi-row statement; every caller still
waits for that statement's commit before it answers, so nothing is acknowledged that
is not stored. A lone request goes out on the next loop iteration, alone.

Two writes to the same key never share a statement (a multi-row upsert may not touch a
row twice) nor run in two statements at once: the second waits for the next batch,
which keeps the order they arrived in. If a batch fails, each of its writes is tried on
its own, so that one bad row cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger("assay.batching")

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[K, T, R]):
    def __init__(
        self,
        run: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        key: Callable[[T], K],
        max_batch: int = 64,
        max_in_flight: int = 2,
    ) -> None:
        """``run`` writes a batch and returns one result per item, in order."""
        self._run = run
        self._key = key
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._queue: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._keys_in_flight: set[K] = set()
        self._draining = 0
        self._tasks: set[asyncio.Task[None]] = set()  # asyncio keeps only weak references
        self.batches = 0  # statements sent (the tests check that writes were coalesced)

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._draining < self._max_in_flight:
            # Starts on the next loop iteration: what arrives meanwhile joins the batch.
            self._draining += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while batch := self._take():
                keys = {self._key(item) for item, _ in batch}
                self._keys_in_flight |= keys
                try:
                    await self._send(batch)
                except BaseException as exc:  # cancelled at shutdown: no caller waits forever
                    for _, future in batch:
                        _settle(future, exc=exc)
                    raise
                finally:
                    self._keys_in_flight -= keys
        finally:
            # No await between the last empty take and this line: a write queued from
            # now on starts a drain of its own.
            self._draining -= 1

    def _take(self) -> list[tuple[T, asyncio.Future[R]]]:
        """The next batch: queued writes in arrival order, at most one per key, none for
        a key already in flight (those wait, in order, for a later batch)."""
        batch: list[tuple[T, asyncio.Future[R]]] = []
        taken: set[K] = set()
        waiting: list[tuple[T, asyncio.Future[R]]] = []
        while self._queue and len(batch) < self._max_batch:
            item, future = self._queue.popleft()
            if future.done():  # the caller went away before it was sent
                continue
            key = self._key(item)
            if key in taken or key in self._keys_in_flight:
                waiting.append((item, future))
            else:
                taken.add(key)
                batch.append((item, future))
        self._queue.extendleft(reversed(waiting))
        return batch

    async def _send(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        self.batches += 1
        try:
            results = await self._run([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc=exc)
                return
            log.warning(
                "batch failed; writing its rows one by one", size=len(batch), error=repr(exc)
            )
            for one in batch:
                await self._send([one])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future[R], *, result: R | None = None, exc: BaseException | None = None
) -> None:
    if future.done():
        return
    if isinstance(exc, asyncio.CancelledError):
        future.cancel()
    elif exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)  # type: ignore[arg-type]
