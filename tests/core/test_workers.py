"""The job engine on PostgreSQL with real `assay worker` processes (on 127.0.0.1, killed
at teardown): a grading survives its worker's SIGKILL and is graded once; a grading
that cannot run is retried, then shown as stuck, never scored; periodic work runs once
per period with two workers. Waits poll the database, each with a bound."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.attempts.items import scenario_for
from app.attempts.models import AttemptItem
from app.config import Settings
from app.core.clock import ManualClock
from app.grading import service as grading_service
from app.grading.grader import grade_submission
from app.grading.models import ScenarioRun
from tests.conftest import REPO, Candidate

BOUND_SECONDS = 120.0
PROCRASTINATE_TABLES = (
    "procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers"
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"job_engine": "procrastinate"})


@pytest.fixture
def clock() -> ManualClock:
    # The workers keep the system's time: the test's rows are dated by the same.
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def jobs(app: FastAPI, engine: AsyncEngine) -> AsyncIterator[None]:
    if engine.dialect.name != "postgresql":
        pytest.skip("workers in other processes need PostgreSQL (procrastinate)")
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {PROCRASTINATE_TABLES} CASCADE"))
    await app.state.jobs.start(periodic=False)
    yield
    await app.state.jobs.stop()


class Workers:
    """`assay worker` processes of this test; every one is killed at teardown."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []
        self.files: list[IO[bytes]] = []

    def start(self, grader: str = "", *options: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "ASSAY_ENV": "test",
            "ASSAY_DATABASE_URL": self.settings.database_url,
            "ASSAY_SECRET_KEY": self.settings.resolved_secret_key(),
            "ASSAY_SCENARIOS": str(REPO / "scenarios"),
            "ASSAY_QUESTION_BANK": str(self.settings.question_bank),
            "ASSAY_SIGNING_KEYS_FILE": str(self.logs / "signing-keys.json"),
            "ASSAY_JOB_ENGINE": "procrastinate",
            "ASSAY_WORKER_HEARTBEAT_SECONDS": "1",
            "ASSAY_SWEEP_INTERVAL_SECONDS": "1",
            "ASSAY_JOB_BACKOFF_SECONDS": "1",
            "ASSAY_REVIEW_SAMPLE_PERCENT": "0",
            "ASSAY_LOG_LEVEL": "WARNING",
            "ASSAY_TEST_GRADER": grader,
        }
        log = (self.logs / f"worker-{len(self.processes)}.log").open("wb")
        self.files.append(log)
        process = subprocess.Popen(  # noqa: S603 - our interpreter, our module
            [
                sys.executable,
                *("-m", "tests.core.worker_shim", "worker", "--concurrency", "2", *options),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
        for file in self.files:
            file.close()


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(settings, tmp_path)
    yield pool
    pool.stop_all()


async def until(
    what: str, check: Callable[[], Awaitable[Any]], workers: Workers | None = None
) -> Any:
    """Polls ``check`` until it returns something true, within BOUND_SECONDS."""
    deadline = asyncio.get_running_loop().time() + BOUND_SECONDS
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up waiting for {what}\n{_logs(workers)}")
        await asyncio.sleep(0.1)


def _logs(workers: Workers | None) -> str:
    if workers is None:
        return ""
    return "".join(p.read_text()[-3000:] for p in sorted(workers.logs.glob("worker-*.log")))


async def _final_runs(
    sessionmaker: async_sessionmaker[AsyncSession], attempt_id: str
) -> list[ScenarioRun]:
    async with sessionmaker() as session:
        runs = await grading_service.runs_of(session, uuid.UUID(attempt_id))
    return [r for r in runs if r.kind == "final"]


async def _submit_solved(
    app: FastAPI, candidate: Candidate, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[str, dict[str, str], AttemptItem]:
    started = (await candidate.post("/api/v1/exams/test-practical/attempts")).json()
    [ref] = [i["ref"] for i in started["items"] if i["kind"] == "scenario"]
    async with sessionmaker() as session:
        slot = await session.get(AttemptItem, (uuid.UUID(started["id"]), ref))
    assert slot is not None
    scenario = scenario_for(app.state.scenarios, slot)
    files = {p: t for p, t in scenario.solution_files.items() if p in scenario.editable}
    base = f"/api/v1/attempts/{started['id']}"
    saved = await candidate.put(f"{base}/responses/{ref}", json={"files": files, "seq": 1})
    assert saved.status_code == 200, saved.text
    submitted = await candidate.post(f"{base}/submit")
    assert submitted.json()["status"] == "grading"
    return started["id"], files, slot


async def test_a_grading_survives_its_worker_killed_and_is_graded_once(
    app: FastAPI,
    jobs: None,
    workers: Workers,
    candidate: Candidate,
    practical: None,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    attempt_id, files, slot = await _submit_solved(app, candidate, sessionmaker)
    doomed = workers.start(grader="hold")

    async def running() -> bool:
        [run] = await _final_runs(sessionmaker, attempt_id)
        return run.status == "running"

    await until("the worker to start grading", running, workers)
    workers.kill(doomed)  # mid-run: no chance to finish or to give the job back
    metrics_port = _free_port()
    workers.start("", "--metrics-port", str(metrics_port))

    async def scored() -> bool:
        r = await candidate.get(f"/api/v1/attempts/{attempt_id}/result")
        return bool(r.json()["status"] == "scored")

    await until("the grading to be requeued and finished", scored, workers)
    [run] = await _final_runs(sessionmaker, attempt_id)
    assert run.status == "done" and run.attempts_made == 2
    expected = await grade_submission(
        scenario_for(app.state.scenarios, slot), files, params=slot.scenario_params
    )
    assert run.score == expected.score == 1.0
    async with engine.connect() as conn:
        jobs_of_run = (
            await conn.execute(
                text(
                    "SELECT j.status::text, count(e.id) FROM procrastinate_jobs j "
                    "LEFT JOIN procrastinate_events e ON e.job_id = j.id "
                    "AND e.type = 'deferred_for_retry' "
                    "WHERE j.args->>'run_id' = :run_id GROUP BY j.id"
                ),
                {"run_id": str(run.id)},
            )
        ).all()
    # One job, taken back from the dead worker and run again: not a second copy.
    assert [tuple(j) for j in jobs_of_run] == [("succeeded", 1)]
    result = (await candidate.get(f"/api/v1/attempts/{attempt_id}/result")).json()
    assert result["score"] is not None and result["grading_delayed"] is False
    # The worker that graded it reports the job's duration and outcome.
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
    assert 'assay_jobs_total{job="grade_run",outcome="done",queue="grading"} 1.0' in metrics
    assert 'assay_job_duration_seconds_count{outcome="done",queue="grading"} 1.0' in metrics


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_grading_that_cannot_run_is_retried_then_stuck_never_scored(
    app: FastAPI,
    jobs: None,
    workers: Workers,
    candidate: Candidate,
    practical: None,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    attempt_id, _, _ = await _submit_solved(app, candidate, sessionmaker)
    workers.start(grader="fail")

    async def given_up() -> bool:
        [run] = await _final_runs(sessionmaker, attempt_id)
        return run.status == "error"

    await until("the grading to be given up", given_up, workers)
    [run] = await _final_runs(sessionmaker, attempt_id)
    assert run.attempts_made == grading_service.MAX_FINAL_TRIES
    assert (run.score, run.record) == (None, None)
    async with engine.connect() as conn:
        attempts = (
            await conn.execute(
                text("SELECT attempts FROM procrastinate_jobs WHERE args->>'run_id' = :run_id"),
                {"run_id": str(run.id)},
            )
        ).scalar_one()
        retried = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM procrastinate_events e "
                    "JOIN procrastinate_jobs j ON j.id = e.job_id "
                    "WHERE j.args->>'run_id' = :run_id AND e.type = 'deferred_for_retry'"
                ),
                {"run_id": str(run.id)},
            )
        ).scalar_one()
    # Run MAX_FINAL_TRIES times by the engine, each retry after a backoff; the last run
    # found the row's tries spent and marked it stuck.
    assert attempts == grading_service.MAX_FINAL_TRIES
    assert retried == grading_service.MAX_FINAL_TRIES - 1
    result = (await candidate.get(f"/api/v1/attempts/{attempt_id}/result")).json()
    assert (result["status"], result["score"], result["passed"]) == ("grading", None, None)
    assert result["grading_delayed"] is True


async def test_periodic_work_runs_once_per_period_with_two_workers(
    jobs: None, workers: Workers, engine: AsyncEngine
) -> None:
    workers.start()
    workers.start()

    async def periods() -> int:
        async with engine.connect() as conn:
            alive = (
                await conn.execute(text("SELECT count(*) FROM procrastinate_workers"))
            ).scalar_one()
            done = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = "
                        "'deadline_sweep' AND status = 'succeeded'"
                    )
                )
            ).scalar_one()
        return int(done) if alive == 2 and done >= 5 else 0

    await until("five periods with two workers", periods, workers)
    async with engine.connect() as conn:
        # A periodic job carries the period it was deferred for (procrastinate's
        # ``timestamp`` argument).
        per_period = (
            await conn.execute(
                text(
                    "SELECT task_name, args->>'timestamp', count(*) FROM procrastinate_jobs "
                    "WHERE args ? 'timestamp' GROUP BY task_name, args->>'timestamp'"
                )
            )
        ).all()
        starts = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM procrastinate_events e JOIN procrastinate_jobs j "
                    "ON j.id = e.job_id WHERE j.task_name = 'deadline_sweep' "
                    "AND e.type = 'started'"
                )
            )
        ).scalar_one()
        sweeps = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM procrastinate_jobs "
                    "WHERE task_name = 'deadline_sweep' AND status <> 'todo'"
                )
            )
        ).scalar_one()
    assert {task for task, _, _ in per_period} >= {
        "deadline_sweep",
        "exposure_fold",
        "grading_recovery",
        "expiry_reminders",
    }
    # Each task and period: one job, started once, by one of the two workers.
    assert all(count == 1 for _, _, count in per_period), per_period
    assert starts == sweeps
