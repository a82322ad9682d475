"""The job port on both engines: the in-process runner (SQLite) and procrastinate
(PostgreSQL). Real worker processes are in test_workers.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.core.jobqueue import ProcrastinateJobs, conninfo, cron_every, job_key
from app.core.jobs import JOBS, JobPort, JobRunner, PendingJobs, RetryLater, Urgency, run_observed
from app.main import job_port
from tests.core.test_workers import PROCRASTINATE_TABLES


@pytest.fixture
async def port(settings: Settings, engine: AsyncEngine) -> AsyncIterator[JobPort]:
    """The engine `auto` picks for the test database, opened for deferring."""
    chosen = job_port(settings.model_copy(update={"job_engine": "auto"}))
    if isinstance(chosen, ProcrastinateJobs):
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {PROCRASTINATE_TABLES} CASCADE"))
    await chosen.start(periodic=False)
    yield chosen
    await chosen.stop()


async def test_the_engine_follows_the_database(port: JobPort, engine: AsyncEngine) -> None:
    expected = ProcrastinateJobs if engine.dialect.name == "postgresql" else JobRunner
    assert isinstance(port, expected)


async def test_jobs_go_out_only_when_sent_each_once_to_its_queue(
    port: JobPort, engine: AsyncEngine
) -> None:
    ran: list[dict[str, Any]] = []

    async def grade(payload: dict[str, Any]) -> None:
        ran.append(payload)

    port.register("grade", grade, urgency=Urgency.grading)
    pending = PendingJobs()
    pending.add("grade", {"run_id": "a"}, urgency=Urgency.interactive)
    pending.add("grade", {"run_id": "b"})
    assert (ran, await _deferred(port, engine)) == ([], [])  # nothing before the commit

    await pending.send(port)
    await pending.send(port)  # a second send has nothing left to send
    await port.drain()
    if isinstance(port, JobRunner):
        assert sorted(p["run_id"] for p in ran) == ["a", "b"]
        return
    # On PostgreSQL a worker runs them: deferred once each, urgency as queue and priority.
    await port.submit("grade", {"run_id": "b"})  # still waiting: not deferred again
    assert await _deferred(port, engine) == [
        ("grade", "interactive", 100, '{"run_id": "a"}'),
        ("grade", "grading", 50, '{"run_id": "b"}'),
    ]
    stats = {s.queue: s for s in await port.stats()}
    assert (stats["interactive"].waiting, stats["grading"].waiting) == (1, 1)
    assert stats["grading"].running == 0 and stats["grading"].oldest_seconds >= 0


async def _deferred(port: JobPort, engine: AsyncEngine) -> list[tuple[Any, ...]]:
    if not isinstance(port, ProcrastinateJobs):
        return []
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT task_name, queue_name, priority, args::text, lock FROM procrastinate_jobs "
                "ORDER BY id"
            )
        )
        found = [tuple(r) for r in rows]
    for name, _, _, args, lock in found:
        assert lock == job_key(name, {"run_id": args.split('"')[3]})
    return [r[:4] for r in found]


async def test_interactive_jobs_go_first_when_every_slot_is_busy() -> None:
    runner = JobRunner(concurrency=1)
    gate = asyncio.Event()
    order: list[str] = []

    async def job(payload: dict[str, Any]) -> None:
        order.append(payload["name"])
        if payload["name"] == "first":
            await gate.wait()

    runner.register("job", job, urgency=Urgency.maintenance)
    await runner.submit("job", {"name": "first"})
    await asyncio.sleep(0)  # the first takes the only slot
    await runner.submit("job", {"name": "regrade"})
    await runner.submit("job", {"name": "final"}, urgency=Urgency.grading)
    await runner.submit("job", {"name": "public"}, urgency=Urgency.interactive)
    waiting = {s.queue: s.waiting for s in await runner.stats()}
    assert waiting == {"interactive": 1, "grading": 1, "maintenance": 1}
    gate.set()
    await runner.drain()
    assert order == ["first", "public", "final", "regrade"]
    assert all(s.waiting == s.running == 0 for s in await runner.stats())


async def test_a_job_past_its_time_limit_is_stopped_to_be_retried() -> None:
    stopped = asyncio.Event()

    async def hangs() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()

    before = JOBS.labels("grading", "hangs", "timeout")._value.get()
    with pytest.raises(RetryLater):
        await run_observed("grading", "hangs", hangs(), time_limit=0.01)
    assert stopped.is_set()
    assert JOBS.labels("grading", "hangs", "timeout")._value.get() == before + 1


async def test_a_job_is_pending_while_it_waits_or_runs_within_its_limit() -> None:
    runner = JobRunner(concurrency=1, time_limit=600)
    gate = asyncio.Event()
    running = asyncio.Event()

    async def job(payload: dict[str, Any]) -> None:
        running.set()
        await gate.wait()

    runner.register("job", job, urgency=Urgency.grading)
    assert not await runner.is_pending("job", {"run_id": "a"})
    await runner.submit("job", {"run_id": "a"})
    await runner.submit("job", {"run_id": "b"})
    await running.wait()
    # "a" runs, "b" waits for the slot: both pending, another payload not.
    assert await runner.is_pending("job", {"run_id": "a"})
    assert await runner.is_pending("job", {"run_id": "b"})
    assert not await runner.is_pending("job", {"run_id": "c"})
    gate.set()
    await runner.drain()
    assert not await runner.is_pending("job", {"run_id": "a"})


async def test_a_job_running_past_its_limit_is_no_longer_pending() -> None:
    """A job still running after its time limit (one that did not stop when it was
    cancelled) is not waited for: the recovery pass may run its row again."""
    now = 0.0
    runner = JobRunner(concurrency=1, time_limit=600, monotonic=lambda: now)
    gate, running = asyncio.Event(), asyncio.Event()

    async def job(payload: dict[str, Any]) -> None:
        running.set()
        await gate.wait()

    runner.register("job", job, urgency=Urgency.grading)
    await runner.submit("job", {"run_id": "a"})
    await running.wait()
    now = 600.0
    assert await runner.is_pending("job", {"run_id": "a"})
    now = 601.0
    assert not await runner.is_pending("job", {"run_id": "a"})
    gate.set()
    await runner.drain()


async def test_a_running_job_stops_being_pending_when_its_worker_is_silent_or_it_overruns(
    port: JobPort, engine: AsyncEngine
) -> None:
    """procrastinate: a job taken by a worker whose heartbeat stopped, or running for
    longer than the time limit, is not pending (the recovery pass runs its row again)."""
    if not isinstance(port, ProcrastinateJobs):
        pytest.skip("the embedded engine's own test is above")

    async def job(payload: dict[str, Any]) -> None:
        return None

    port.register("job", job, urgency=Urgency.grading)
    payload = {"run_id": "a"}
    await port.submit("job", payload)
    assert await port.is_pending("job", payload)  # waiting

    async def sql(statement: str) -> None:
        async with engine.begin() as conn:
            await conn.execute(text(statement))

    await sql(
        "WITH worker AS (INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id) "
        "UPDATE procrastinate_jobs SET status = 'doing', worker_id = (SELECT id FROM worker)"
    )
    await sql(
        "INSERT INTO procrastinate_events (job_id, type, at) "
        "SELECT id, 'started', now() FROM procrastinate_jobs"
    )
    assert await port.is_pending("job", payload)  # running on a live worker
    await sql("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'")
    assert not await port.is_pending("job", payload)  # its worker is silent
    await sql("UPDATE procrastinate_workers SET last_heartbeat = now()")
    assert await port.is_pending("job", payload)
    await sql(
        "UPDATE procrastinate_events SET at = now() - interval '1 day' WHERE type = 'started'"
    )
    assert not await port.is_pending("job", payload)  # past its time limit


async def test_periodic_work_runs_in_the_embedded_engine_only_when_asked() -> None:
    runner = JobRunner()
    ran = asyncio.Event()

    async def sweep() -> None:
        ran.set()

    runner.every("sweep", 60, sweep)
    await runner.start(periodic=False)
    await asyncio.sleep(0)
    assert not ran.is_set()
    await runner.start(periodic=True)
    await asyncio.wait_for(ran.wait(), timeout=5)
    await runner.stop()


def test_periods_and_addresses() -> None:
    assert cron_every(10) == "* * * * * */10"
    assert cron_every(300) == "*/5 * * * *"
    with pytest.raises(ValueError):
        cron_every(7)
    url = "postgresql+asyncpg://assay:secret@db:5432/assay"
    assert conninfo(url) == "postgresql://assay:secret@db:5432/assay"


async def test_a_job_that_cannot_be_sent_is_left_to_the_recovery_pass() -> None:
    runner = JobRunner()
    ran: list[str] = []

    async def job(payload: dict[str, Any]) -> None:
        ran.append(payload["name"])

    runner.register("job", job, urgency=Urgency.grading)
    pending = PendingJobs()
    pending.add("no-such-job", {"name": "lost"})  # the port refuses it
    pending.add("job", {"name": "sent"})
    await pending.send(runner)  # the request that committed still answers
    await runner.drain()
    assert ran == ["sent"]


async def test_a_worker_takes_the_most_urgent_job_first(port: JobPort) -> None:
    if not isinstance(port, ProcrastinateJobs):
        pytest.skip("the embedded engine's order is the test above")
    order: list[str] = []

    async def job(payload: dict[str, Any]) -> None:
        order.append(payload["name"])

    port.register("job", job, urgency=Urgency.maintenance)
    await port.submit("job", {"name": "regrade"})
    await port.submit("job", {"name": "final"}, urgency=Urgency.grading)
    await port.submit("job", {"name": "public"}, urgency=Urgency.interactive)
    # One job at a time, until the queues are empty: the order is the priorities'.
    await port.app.run_worker_async(
        queues=[u.value for u in Urgency],
        concurrency=1,
        wait=False,
        install_signal_handlers=False,
    )
    assert order == ["public", "final", "regrade"]
