"""Grading throughput and sandbox overhead, measured in one run.

    python bench/grading.py [--scenario leaky-scaler] [--gradings 80] [--concurrency 2]

1. Gradings per second: full gradings (candidate and reference, each in its own
   sandbox, every check) of the scenario's workspace, ``--concurrency`` at a time,
   each with a fresh seed so no reference result is reused.
2. Sandbox overhead per run: the grader's driver with the same request, run bare
   (``python -I -B driver.py``, no limits, no namespaces) and in the sandbox, one
   after the other; the overhead is the difference of the medians.

Both run in a process the size of the server's (the app is built first, question bank
and scenarios loaded): starting a run costs more from a bigger process.
"""

from __future__ import annotations

import argparse
import asyncio
import marshal
import os
import secrets
import statistics
import sys
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
from app.grading.scenarios import Scenario, load_scenarios
from app.main import create_app

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
    inputs = scenario.judge.make_inputs(7)
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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=Path, default=ROOT / "scenarios")
    parser.add_argument("--scenario", default="leaky-scaler")
    parser.add_argument("--gradings", type=int, default=80)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--overhead-runs", type=int, default=40)
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
    bare, boxed = await overhead(scenario, args.overhead_runs)
    del app
    print(
        f"driver run, median of {args.overhead_runs}: bare {bare * 1000:.1f} ms, "
        f"sandboxed {boxed * 1000:.1f} ms, overhead {(boxed - bare) * 1000:.1f} ms per run"
    )


if __name__ == "__main__":
    asyncio.run(main())
