"""Grading throughput and sandbox overhead, measured in one run.

    python bench/grading.py [--scenario leaky-scaler] [--gradings 80] [--concurrency 2]
    python bench/grading.py --engines inprocess,1,2 [--engine-gradings 60] [--database D]

1. Gradings per second: full gradings (candidate and reference, each in its own
   sandbox, every check) of the scenario's workspace, ``--concurrency`` at a time,
   each with a fresh seed so no reference result is reused.
2. Sandbox overhead per run: the grader's driver with the same request, run bare
   (``python -I -B driver.py``, no limits, no namespaces) and in the sandbox, one
   after the other; the overhead is the difference of the medians.

Both run in a process the size of the server's (the app is built first, question bank
and scenarios loaded): starting a run costs more from a bigger process.

3. With ``--engines``: final gradings through the job engine, end to end, on PostgreSQL
   (a fresh database, migrated; the bank published): ``--engine-gradings`` runs of the
   scenario's workspace are written as rows and sent as ``grade_run`` jobs, and the clock
   stops when the last row is done. ``inprocess``: the embedded runner in this process
   (``--concurrency`` at once); ``N``: procrastinate with N `assay worker` processes on
   this machine (``--concurrency`` each), the jobs deferred by this process.
"""

from __future__ import annotations

import argparse
import asyncio
import marshal
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Runnable as `python bench/grading.py` from a checkout, without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.grading.grader import (
    DRIVER_SOURCE,
    clear_reference_cache,
    default_sandbox,
    grade_submission,
)
from app.grading.sandbox import Limits, bare_python_run
from app.grading.scenarios import Scenario, call_make_inputs, load_scenarios
from app.main import create_app
from bench.autosave import SECRET, add_database_arguments, fresh_database
from bench.workload import start_worker, wait_workers

ROOT = Path(__file__).resolve().parents[1]


async def gradings_per_second(scenario: Scenario, total: int, concurrency: int) -> float:
    sandbox = default_sandbox()
    seeds = iter(range(10_000, 10_000 + total))
    clear_reference_cache()

    async def worker() -> None:
        for seed in seeds:
            await grade_submission(scenario, {}, seed=seed, sandbox=sandbox)

    await grade_submission(scenario, {}, seed=1, sandbox=sandbox)  # warm up
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - started)


def driver_request(scenario: Scenario) -> bytes:
    if scenario.parameters:
        scenario = scenario.variant(scenario.draw_params(0))
    inputs = call_make_inputs(scenario.judge, 7, scenario.params)
    request = {
        "nonce": secrets.token_hex(16),
        "files": scenario.workspace_files,
        "probe": scenario.probe_source,
        "steps": [{"name": c.step, "timeout": scenario.step_seconds} for c in scenario.checks],
        "inputs": inputs,
    }
    return marshal.dumps(request, 4)


async def overhead(scenario: Scenario, runs: int) -> tuple[float, float]:
    sandbox = default_sandbox()
    request = driver_request(scenario)
    limits = Limits(wall_seconds=scenario.run_seconds)
    bare, boxed = [], []
    for _ in range(3):  # warm up both paths
        bare_python_run(sandbox.python, DRIVER_SOURCE, request)
        await sandbox.run(DRIVER_SOURCE, stdin=request, limits=limits)
    for _ in range(runs):
        t0 = time.perf_counter()
        bare_python_run(sandbox.python, DRIVER_SOURCE, request)
        bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await sandbox.run(DRIVER_SOURCE, stdin=request, limits=limits)
        boxed.append(time.perf_counter() - t0)
    return statistics.median(bare), statistics.median(boxed)


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def engine_rate(
    args: argparse.Namespace, scenario: Scenario, engine_name: str
) -> tuple[float, int]:
    """Gradings per second through one job engine, and how many rows failed to finish."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from app.attempts.items import GRADE_RUN
    from app.attempts.models import Attempt, AttemptStatus
    from app.config import Settings
    from app.core.clock import SystemClock
    from app.core.db import create_engine, create_sessionmaker, dispose_engine, session_scope
    from app.core.migrate import upgrade_to_head
    from app.exams import service as exams_service
    from app.exams.content import load_bank
    from app.grading import service as grading_service
    from app.grading.models import ScenarioRun
    from app.identity import service as identity_service

    pg_url, url = await fresh_database(args)
    workers = 0 if engine_name == "inprocess" else int(engine_name)
    settings = Settings(
        database_url=url,
        secret_key=SECRET,
        scenarios=args.scenarios,
        job_engine="inprocess" if workers == 0 else "procrastinate",
        grading_concurrency=args.concurrency,
        log_level="WARNING",
    )
    engine = create_engine(url)
    await upgrade_to_head(engine)
    sessionmaker, clock = create_sessionmaker(engine), SystemClock()
    async with session_scope(sessionmaker) as session:
        await exams_service.publish_bank(session, clock, load_bank(ROOT / "question_bank"))
        exam = await exams_service.get_exam(session, "mlops-professional")
        user = await identity_service.create_user(
            session,
            clock,
            email="bench@example.org",
            password="bench password 123",
            full_name="Bench Candidate",
        )
        run_ids = []
        now = datetime.now(UTC)
        for i in range(args.engine_gradings):
            # Submitted, not grading: the job grades the row and leaves scoring alone.
            attempt = Attempt(
                id=uuid.uuid4(),
                user_id=user.id,
                exam_version_id=exam.id,
                exam_code=exam.code,
                status=AttemptStatus.submitted,
                seed=i,
                started_at=now,
                deadline_at=now + timedelta(hours=1),
                submitted_at=now,
            )
            session.add(attempt)
            await session.flush()
            run = await grading_service.create_run(
                session,
                clock,
                attempt_id=attempt.id,
                ref="s1",
                kind="final",
                scenario=scenario,
                files={},
                seed=i,
            )
            run_ids.append(run.id)

    app = create_app(settings, clock, engine=engine, run_sweeper=False)
    env = {
        "ASSAY_DATABASE_URL": url,
        "ASSAY_SECRET_KEY": SECRET,
        "ASSAY_SCENARIOS": str(args.scenarios),
        "ASSAY_JOB_ENGINE": "procrastinate",
        "ASSAY_SIGNING_KEYS_FILE": str(Path(tempfile.mkdtemp()) / "keys.json"),
        "ASSAY_LOG_LEVEL": "WARNING",
    }
    processes = [start_worker(env, args.concurrency) for _ in range(workers)]
    await app.state.jobs.start(periodic=False)
    try:
        if workers:  # every worker up (its heartbeat row) before the clock starts
            await wait_workers(pg_url, workers)
        started = time.perf_counter()
        for run_id in run_ids:
            await app.state.jobs.submit(GRADE_RUN, {"run_id": str(run_id)})
        deadline = started + 60 + 10 * args.engine_gradings
        while time.perf_counter() < deadline:
            await app.state.jobs.drain()
            async with session_scope(sessionmaker) as session:
                left = (
                    await session.execute(
                        select(func.count()).where(ScenarioRun.status.in_(("queued", "running")))
                    )
                ).scalar_one()
            if not left:
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        async with session_scope(sessionmaker) as session:
            done = (
                await session.execute(select(func.count()).where(ScenarioRun.status == "done"))
            ).scalar_one()
    finally:
        await app.state.jobs.stop()
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        await dispose_engine(engine)
    return done / elapsed, args.engine_gradings - done


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=Path, default=ROOT / "scenarios")
    parser.add_argument("--scenario", default="leaky-scaler")
    parser.add_argument("--gradings", type=int, default=80)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--overhead-runs", type=int, default=40)
    parser.add_argument(
        "--engines",
        default="",
        help="comma-separated: inprocess, or a number of `assay worker` processes",
    )
    parser.add_argument("--engine-gradings", type=int, default=60)
    add_database_arguments(parser, "assay_bench_grading")
    args = parser.parse_args()

    scenario = load_scenarios(args.scenarios)[args.scenario]
    app = create_app()  # grading runs inside the server: measure from a process its size
    sandbox = default_sandbox()
    print(f"machine: {os.cpu_count()} cores; sandbox: {sandbox.layer}; {_rss_mb():.0f} MB resident")
    for key, value in sandbox.details.items():
        print(f"  {key}: {value}")
    rate = await gradings_per_second(scenario, args.gradings, args.concurrency)
    print(
        f"{args.scenario}: {rate:.1f} gradings/s "
        f"({args.gradings} gradings, concurrency {args.concurrency}, 2 sandbox runs each)"
    )
    for engine_name in [e for e in args.engines.split(",") if e]:
        clear_reference_cache()  # every engine starts cold, as a new worker process does
        engine_rate_, unfinished = await engine_rate(args, scenario, engine_name)
        label = (
            "in-process runner"
            if engine_name == "inprocess"
            else (f"procrastinate, {engine_name} worker process(es)")
        )
        print(
            f"{label}: {engine_rate_:.1f} gradings/s end to end "
            f"({args.engine_gradings} final gradings, concurrency {args.concurrency} per "
            f"process, {unfinished} unfinished)"
        )
    bare, boxed = await overhead(scenario, args.overhead_runs)
    del app
    print(
        f"driver run, median of {args.overhead_runs}: bare {bare * 1000:.1f} ms, "
        f"sandboxed {boxed * 1000:.1f} ms, overhead {(boxed - bare) * 1000:.1f} ms per run"
    )


if __name__ == "__main__":
    asyncio.run(main())
