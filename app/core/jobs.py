"""The job port, and its embedded engine: an in-process runner with bounded concurrency.

Jobs are named handlers taking a JSON-able payload; periodic work is a named coroutine
run every so many seconds. Two engines stand behind the same port (``JobPort``): this
module's ``JobRunner`` (SQLite: ``assay serve`` alone does everything on one machine)
and ``app.core.jobqueue.ProcrastinateJobs`` (PostgreSQL: API processes only defer,
``assay worker`` processes run the jobs and the periodic work once per period).

The database row a job works on is the truth about its state, and every handler is
idempotent, so running a job twice (a retry, a recovery pass after a restart) is
harmless. Requests do not submit jobs directly: they add them to ``PendingJobs``, which
``UnitOfWorkRoute`` sends only after the transaction that asked for them has committed.

Every job has an urgency, which is its queue and its priority: a candidate waiting on a
public-check run comes before final gradings, which come before regrades and upkeep.
A handler raises ``RetryLater`` for an infrastructure failure (no sandbox would start,
the database went away): the job is tried again after a backoff, never scored.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import structlog
from prometheus_client import Counter, Gauge, Histogram

from app.core.observability import REGISTRY

Handler = Callable[[dict[str, Any]], Awaitable[None]]
PeriodicWork = Callable[[], Awaitable[None]]
log = structlog.get_logger("assay.jobs")


class Urgency(enum.StrEnum):
    """A job's class; its value is the queue it goes to."""

    interactive = "interactive"  # a candidate waits on it: public-check and pipeline runs
    grading = "grading"  # final gradings of submitted attempts
    maintenance = "maintenance"  # regrades and periodic upkeep

    @property
    def priority(self) -> int:
        """Higher runs first, for a worker that serves several queues."""
        return {"interactive": 100, "grading": 50, "maintenance": 0}[self.value]


@dataclass(frozen=True)
class QueueStat:
    queue: str
    waiting: int  # submitted and not started (a retry waiting out its backoff included)
    running: int
    oldest_seconds: float  # the longest a job ready to run has waited


class RetryLater(Exception):
    """Infrastructure failed under the job (not the candidate's work): try again later."""


JOB_DURATION = Histogram(
    "assay_job_duration_seconds",
    "Time a job ran, by queue and outcome",
    ["queue", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
JOBS = Counter(
    "assay_jobs",
    "Jobs run, by queue, job and outcome (done, retry: infrastructure failed, "
    "failed: an unexpected error, timeout: the job's time limit)",
    ["queue", "job", "outcome"],
    registry=REGISTRY,
)

# Read at each scrape from the port (procrastinate: its table, the same from any
# replica): what an autoscaler scales workers on.
QUEUE_DEPTH = Gauge(
    "assay_job_queue_depth", "Jobs waiting to run, by queue", ["queue"], registry=REGISTRY
)
QUEUE_RUNNING = Gauge(
    "assay_job_queue_running", "Jobs running, by queue", ["queue"], registry=REGISTRY
)
QUEUE_OLDEST = Gauge(
    "assay_job_queue_oldest_seconds",
    "How long the oldest job ready to run has waited, by queue",
    ["queue"],
    registry=REGISTRY,
)


async def publish_queue_stats(port: JobPort) -> None:
    stats = {s.queue: s for s in await port.stats()}
    for urgency in Urgency:
        stat = stats.get(urgency.value, QueueStat(urgency.value, 0, 0, 0.0))
        QUEUE_DEPTH.labels(stat.queue).set(stat.waiting)
        QUEUE_RUNNING.labels(stat.queue).set(stat.running)
        QUEUE_OLDEST.labels(stat.queue).set(stat.oldest_seconds)


async def run_observed(
    queue: str, name: str, work: Awaitable[None], *, time_limit: float | None
) -> None:
    """Runs one job within its time limit and records its duration and outcome. A job
    that outruns its limit is cancelled and raised as ``RetryLater``: its row is still
    queued or running, so running it again is safe."""
    started = time.perf_counter()
    outcome = "failed"
    try:
        async with asyncio.timeout(time_limit):
            await work
        outcome = "done"
    except TimeoutError as exc:
        outcome = "timeout"
        raise RetryLater(f"{name} ran past its time limit of {time_limit} s") from exc
    except RetryLater:
        outcome = "retry"
        raise
    finally:
        JOB_DURATION.labels(queue, outcome).observe(time.perf_counter() - started)
        JOBS.labels(queue, name, outcome).inc()


class JobPort(Protocol):
    """What the code uses to run work in the background, whatever the engine."""

    def register(self, name: str, handler: Handler, *, urgency: Urgency) -> None: ...

    def every(self, name: str, seconds: int, work: PeriodicWork) -> None: ...

    async def submit(
        self, name: str, payload: dict[str, Any], *, urgency: Urgency | None = None
    ) -> None: ...

    async def is_pending(self, name: str, payload: dict[str, Any]) -> bool:
        """Whether a job for ``payload`` is waiting, or running within its time limit
        (on procrastinate: on a worker whose heartbeat still beats). The recovery pass
        resubmits only work for which this is false."""
        ...

    async def start(self, *, periodic: bool) -> None: ...

    async def work(self, *, queues: list[str] | None, concurrency: int) -> None: ...

    async def stop(self) -> None: ...

    async def drain(self) -> None: ...

    async def stats(self) -> list[QueueStat]: ...


def job_key(name: str, payload: dict[str, Any]) -> str:
    """What identifies a job: its name and its payload (the row it works on)."""
    return f"{name}:{json.dumps(payload, sort_keys=True, separators=(',', ':'))}"


class _LiveJob(NamedTuple):
    queue: Urgency
    submitted: float
    running_since: float | None
    key: str


class JobRunner:
    """The embedded engine: jobs run as tasks of this process, at most ``concurrency``
    at once, interactive ones first when they wait for a slot. A job that fails is
    logged and left: its row stays in its pending state and the recovery pass picks it
    up. Periodic work runs in one loop of this process (one process: once per period)."""

    def __init__(
        self,
        concurrency: int = 2,
        *,
        time_limit: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._handlers: dict[str, tuple[Handler, Urgency]] = {}
        self._periodic: dict[str, tuple[int, PeriodicWork]] = {}
        self._concurrency = concurrency
        self._time_limit = time_limit
        # How long jobs have waited and run (a seam for tests; deadlines use the clock).
        self._monotonic = monotonic
        self._running = 0
        self._waiting: asyncio.PriorityQueue[tuple[int, int, asyncio.Future[None]]] | None = None
        self._order = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        # Each job submitted and not finished: its queue, when submitted, when it started
        # running (None: waiting), and its key (``job_key``).
        self._ids = itertools.count()
        self._live: dict[int, _LiveJob] = {}

    def register(self, name: str, handler: Handler, *, urgency: Urgency) -> None:
        self._handlers[name] = (handler, urgency)

    def every(self, name: str, seconds: int, work: PeriodicWork) -> None:
        self._periodic[name] = (seconds, work)

    async def submit(
        self, name: str, payload: dict[str, Any], *, urgency: Urgency | None = None
    ) -> None:
        if name not in self._handlers:
            raise KeyError(f"no job handler named {name!r}")
        handler, default = self._handlers[name]
        queue = urgency or default
        job_id = next(self._ids)
        self._live[job_id] = _LiveJob(queue, self._monotonic(), None, job_key(name, payload))
        task = asyncio.get_running_loop().create_task(
            self._run(job_id, name, queue, handler, payload)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self, job_id: int, name: str, urgency: Urgency, handler: Handler, payload: dict[str, Any]
    ) -> None:
        try:
            await self._acquire(urgency)
        except BaseException:
            del self._live[job_id]
            raise
        self._live[job_id] = self._live[job_id]._replace(running_since=self._monotonic())
        try:
            await run_observed(urgency.value, name, handler(payload), time_limit=self._time_limit)
        except RetryLater as exc:
            # The row stays in its pending state; the recovery pass picks it up.
            log.warning("job to be tried again", job=name, reason=str(exc))
        except Exception:
            log.exception("job failed", job=name, payload=payload)
        finally:
            del self._live[job_id]
            self._release()

    async def _acquire(self, urgency: Urgency) -> None:
        if self._running < self._concurrency:
            self._running += 1
            return
        if self._waiting is None:
            self._waiting = asyncio.PriorityQueue()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._order += 1
        await self._waiting.put((-urgency.priority, self._order, turn))
        await turn  # the slot is handed over by _release, still counted in _running

    def _release(self) -> None:
        while self._waiting is not None and not self._waiting.empty():
            _, _, turn = self._waiting.get_nowait()
            if not turn.done():
                turn.set_result(None)
                return
        self._running -= 1

    async def is_pending(self, name: str, payload: dict[str, Any]) -> bool:
        key, now = job_key(name, payload), self._monotonic()
        return any(
            job.key == key
            and (
                job.running_since is None
                or self._time_limit is None
                or now - job.running_since <= self._time_limit
            )
            for job in self._live.values()
        )

    async def start(self, *, periodic: bool) -> None:
        if periodic and self._periodic and not self._loops:
            self._loops = [asyncio.create_task(self._periodic_passes())]

    async def _periodic_passes(self) -> None:
        """One pass after the other, in the order registered, each work when its period
        is up: on one machine (SQLite's single writer) nothing runs beside itself."""
        loop = asyncio.get_running_loop()
        due = dict.fromkeys(self._periodic, loop.time())
        while True:
            for name, (seconds, work) in self._periodic.items():
                if loop.time() < due[name]:
                    continue
                try:
                    await run_observed(
                        Urgency.maintenance.value, name, work(), time_limit=self._time_limit
                    )
                except Exception:
                    log.exception("periodic job failed; will run again", job=name)
                due[name] = loop.time() + seconds
            await asyncio.sleep(max(0.0, min(due.values()) - loop.time()))

    async def work(self, *, queues: list[str] | None, concurrency: int) -> None:
        """`assay worker` on the embedded engine: the periodic work, until stopped (the
        jobs themselves run in the process that submitted them)."""
        await self.start(periodic=True)
        await asyncio.gather(*self._loops)

    async def stop(self) -> None:
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        self._loops = []
        await self.drain()

    async def drain(self) -> None:
        """Wait until no job is running or queued (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stats(self) -> list[QueueStat]:
        now = self._monotonic()
        stats = []
        for urgency in Urgency:
            jobs = [job for job in self._live.values() if job.queue is urgency]
            waiting = [job.submitted for job in jobs if job.running_since is None]
            stats.append(
                QueueStat(
                    urgency.value,
                    len(waiting),
                    len(jobs) - len(waiting),
                    now - min(waiting) if waiting else 0.0,
                )
            )
        return stats


class PendingJobs:
    """Jobs a unit of work asked for, sent only once it has committed."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, dict[str, Any], Urgency | None]] = []

    def add(self, name: str, payload: dict[str, Any], *, urgency: Urgency | None = None) -> None:
        self.jobs.append((name, payload, urgency))

    async def send(self, port: JobPort) -> None:
        """After the commit: a job that cannot be sent (the queue's database away) is
        logged, not raised; its row is committed and the recovery pass sends it again."""
        jobs, self.jobs = self.jobs, []
        for name, payload, urgency in jobs:
            try:
                await port.submit(name, payload, urgency=urgency)
            except Exception:
                log.exception("job not sent; the recovery pass will", job=name, payload=payload)
