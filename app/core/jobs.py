"""The job port, embedded engine: an in-process runner with bounded concurrency.

Jobs are named handlers taking a JSON-able payload. The database row a job works on is
the truth about its state, and every handler is idempotent, so running a job twice (a
retry, a recovery pass after a restart) is harmless. Requests do not submit jobs
directly: they add them to ``PendingJobs``, which ``UnitOfWorkRoute`` hands to the
runner only after the transaction that asked for them has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

Handler = Callable[[dict[str, Any]], Awaitable[None]]
log = structlog.get_logger("assay.jobs")


class JobRunner:
    def __init__(self, concurrency: int = 2) -> None:
        self._handlers: dict[str, Handler] = {}
        self._gate = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, name: str, handler: Handler) -> None:
        self._handlers[name] = handler

    def submit(self, name: str, payload: dict[str, Any]) -> None:
        if name not in self._handlers:
            raise KeyError(f"no job handler named {name!r}")
        task = asyncio.get_running_loop().create_task(self._run(name, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, name: str, payload: dict[str, Any]) -> None:
        async with self._gate:
            try:
                await self._handlers[name](payload)
            except Exception:
                # The row stays in its pending state; the recovery pass picks it up.
                log.exception("job failed", job=name, payload=payload)

    async def drain(self) -> None:
        """Wait until no job is running or queued (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class PendingJobs:
    """Jobs a unit of work asked for, sent only once it has committed."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, dict[str, Any]]] = []

    def add(self, name: str, payload: dict[str, Any]) -> None:
        self.jobs.append((name, payload))

    def send(self, runner: JobRunner) -> None:
        for name, payload in self.jobs:
            runner.submit(name, payload)
        self.jobs.clear()
