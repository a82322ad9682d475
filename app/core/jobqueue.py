"""The job port on PostgreSQL: procrastinate, with no broker but the database.

API processes only defer; `assay worker` processes (any number, on any machine) fetch
and run. Each job's urgency is its queue and its priority (``Urgency``). A job is
deferred with a queueing lock and a lock named after its payload: asking twice for a
job still waiting adds nothing, and two jobs for the same row never run at once (the
second waits, then finds the row done and leaves it).

Failure handling, beside each handler's own idempotence:
- a time limit per job (``run_observed``);
- ``RetryLater`` (and a database or network error) is retried with an exponential
  backoff, a bounded number of times; the row's own count decides when a grading is
  given up as stuck, so no failure of ours ever becomes a score;
- every worker beats a heartbeat; the ``requeue_stalled_jobs`` periodic task puts the
  running jobs of a worker whose heartbeat stopped (killed, its machine gone) back in
  their queue;
- periodic work is deferred by every worker's periodic deferrer, but procrastinate
  records one job per task and period (a unique row), and a queueing lock and a lock
  per task keep runs from piling up or overlapping: once per period, however many
  workers run.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable
from typing import Any

import structlog
from procrastinate import App, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.jobs import Status
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.core.jobs import (
    Handler,
    PeriodicWork,
    QueueStat,
    RetryLater,
    Urgency,
    job_key,
    run_observed,
)

log = structlog.get_logger("assay.jobs")

# Retried: what we raise for infrastructure trouble, and the database or the network
# failing under the job. Anything else is a bug: the job fails at once, and the recovery
# pass finds its row still pending.
RETRIED = (RetryLater, DBAPIError, ConnectorException, OSError)

_QUEUE_STATS = """
SELECT job.queue_name AS queue,
       count(*) FILTER (WHERE job.status = 'todo') AS waiting,
       count(*) FILTER (WHERE job.status = 'doing') AS running,
       coalesce(extract(epoch FROM now() - min(deferred.at) FILTER (
           WHERE job.status = 'todo'
             AND (job.scheduled_at IS NULL OR job.scheduled_at <= now()))), 0)::float
           AS oldest_seconds
  FROM procrastinate_jobs job
  LEFT JOIN procrastinate_events deferred
    ON deferred.job_id = job.id AND deferred.type = 'deferred'
 WHERE job.status IN ('todo', 'doing')
 GROUP BY job.queue_name
"""

# Each side on its own unique partial index (queueing lock of waiting jobs, lock of
# running ones): no scan of a long queue per defer.
# A job for the key waiting, or running on a worker that still beats, since no longer
# than the time limit (a worker killed, or one wedged past the limit, does not count).
_LIVE_JOB = """
SELECT 1 AS live FROM procrastinate_jobs job
  LEFT JOIN procrastinate_workers worker ON worker.id = job.worker_id
 WHERE (job.queueing_lock = %(lock)s AND job.status = 'todo')
    OR (job.lock = %(lock)s AND job.status = 'doing'
        AND worker.last_heartbeat > now() - make_interval(secs => %(stalled)s)
        AND (%(limit)s::float IS NULL OR (
            SELECT max(started.at) FROM procrastinate_events started
             WHERE started.job_id = job.id AND started.type = 'started'
        ) > now() - make_interval(secs => %(limit)s::float)))
 LIMIT 1
"""


def conninfo(database_url: str) -> str:
    """The libpq address of a SQLAlchemy ``postgresql+asyncpg://`` URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def cron_every(seconds: int) -> str:
    """A cron line (procrastinate's, seconds in a sixth column) for "every N seconds";
    N must divide a minute or be whole minutes that divide an hour."""
    if 0 < seconds < 60 and 60 % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % 60 == 0 and 60 % (seconds // 60) == 0:
        return f"*/{seconds // 60} * * * *"
    raise ValueError(f"a period of {seconds} s does not divide a minute or an hour")


class ProcrastinateJobs:
    def __init__(
        self,
        database_url: str,
        *,
        time_limit: float | None,
        retries: int,
        backoff_seconds: int,
        heartbeat_seconds: float,
        pool_size: int = 4,
    ) -> None:
        self.app = App(
            connector=PsycopgConnector(
                conninfo=conninfo(database_url), min_size=1, max_size=pool_size
            )
        )
        self._time_limit = time_limit
        self._retry = RetryStrategy(
            max_attempts=retries, exponential_wait=backoff_seconds, retry_exceptions=RETRIED
        )
        self._heartbeat = heartbeat_seconds
        self._urgency: dict[str, Urgency] = {}
        self._opened = False
        # Looked for about as often as workers beat (a period cron can express).
        period = next((p for p in (1, 2, 3, 5, 10, 15, 20, 30) if p >= heartbeat_seconds), 60)
        self.every("requeue_stalled_jobs", period, self._requeue_stalled)
        self.every("delete_old_jobs", 3600, self._delete_old_jobs)

    @property
    def stalled_after(self) -> float:
        """A worker silent this long is taken for dead (three missed heartbeats)."""
        return 3 * self._heartbeat

    def register(self, name: str, handler: Handler, *, urgency: Urgency) -> None:
        async def run(**payload: Any) -> None:
            await run_observed(urgency.value, name, handler(payload), time_limit=self._time_limit)

        self._urgency[name] = urgency
        self.app.task(name=name, queue=urgency.value, priority=urgency.priority, retry=self._retry)(
            run
        )

    def every(self, name: str, seconds: int, work: PeriodicWork) -> None:
        queue = Urgency.maintenance

        async def run(timestamp: int) -> None:
            await run_observed(queue.value, name, work(), time_limit=self._time_limit)

        task = self.app.task(
            name=name,
            queue=queue.value,
            priority=queue.priority,
            # One waiting and one running at most, whatever the number of workers.
            queueing_lock=name,
            lock=name,
        )(run)
        self.app.periodic(cron=cron_every(seconds), periodic_id="")(task)

    async def submit(
        self, name: str, payload: dict[str, Any], *, urgency: Urgency | None = None
    ) -> None:
        queue = urgency or self._urgency[name]
        key = job_key(name, payload)
        if await self._has_live_job(key):
            return  # waiting or running already: its row will be done by it
        with contextlib.suppress(AlreadyEnqueued):
            await (
                self.app.tasks[name]
                .configure(queue=queue.value, priority=queue.priority, lock=key, queueing_lock=key)
                .defer_async(**payload)
            )

    async def is_pending(self, name: str, payload: dict[str, Any]) -> bool:
        return await self._has_live_job(job_key(name, payload))

    async def _has_live_job(self, key: str) -> bool:
        rows = await self.app.connector.execute_query_all_async(
            _LIVE_JOB, lock=key, stalled=self.stalled_after, limit=self._time_limit
        )
        return bool(rows)

    async def start(self, *, periodic: bool) -> None:
        # Periodic work is deferred by workers only (`work`); a serving process defers.
        if not self._opened:
            await self.app.open_async()
            self._opened = True

    async def work(self, *, queues: list[str] | None, concurrency: int) -> None:
        await self.start(periodic=True)
        run = functools.partial(
            self.app.run_worker_async,
            concurrency=concurrency,
            update_heartbeat_interval=self._heartbeat,
            stalled_worker_timeout=self.stalled_after,
            install_signal_handlers=True,
        )
        await (run(queues=queues) if queues else run())  # no queues: every queue

    async def stop(self) -> None:
        if self._opened:
            await self.app.close_async()
            self._opened = False

    async def drain(self) -> None:
        """Jobs run in workers: there is nothing of this process's to wait for."""

    async def stats(self) -> list[QueueStat]:
        rows = await self.app.connector.execute_query_all_async(_QUEUE_STATS)
        return [
            QueueStat(r["queue"], int(r["waiting"]), int(r["running"]), float(r["oldest_seconds"]))
            for r in rows
        ]

    async def _requeue_stalled(self) -> None:
        manager = self.app.job_manager
        stalled: Iterable[Any] = await manager.get_stalled_jobs(
            seconds_since_heartbeat=self.stalled_after
        )
        for job in stalled:
            try:
                await manager.retry_job(job)
                log.warning("job of a stopped worker requeued", job=job.task_name, id=job.id)
            except ConnectorException:
                # A copy of it is already waiting (the recovery pass deferred one): that
                # one will do the work; this one ends here.
                await manager.finish_job(job, status=Status.FAILED, delete_job=False)
                log.warning("stalled job dropped for its waiting copy", id=job.id)

    async def _delete_old_jobs(self) -> None:
        await self.app.job_manager.delete_old_jobs(nb_hours=24, include_failed=False)
