"""Mixed load: paced autosaves beside public-check runs, grading in the API process
against grading in a worker process.

For each engine, in one run, against `assay serve` on PostgreSQL (a fresh database each):

- ``inprocess``: ``ASSAY_JOB_ENGINE=inprocess``, the API process grades the runs itself;
- ``procrastinate``: the API process only defers, one `assay worker` process grades.

N candidates start the exam (the bench's copy of the bank, whose exam has no
prerequisite, so nobody needs a certificate first), then for DURATION seconds each saves
a multiple-choice answer every INTERVAL seconds (bench/autosave.py's paced loop) while
public-check runs are asked for at R a minute, spread over the candidates and their
scenario items; each run is polled until it is done. Reported per engine: autosave
p50/p99/max and errors; runs asked, finished, failed, and their latency from the request
to the result.

Only 127.0.0.1 is contacted. Usage:
    python bench/mixed.py [--candidates 2000] [--runs-per-minute 30] [--duration 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.clock import SystemClock  # noqa: E402
from app.core.security import TokenService  # noqa: E402
from bench.autosave import (  # noqa: E402
    SECRET,
    add_database_arguments,
    create_candidates,
    fresh_database,
    paced,
    start_attempts,
    start_server,
    wait_ready,
)
from bench.workload import (  # noqa: E402
    bench_bank,
    public_runs,
    run_summary,
    server_env,
    start_worker,
    wait_workers,
)

ENGINES = ("inprocess", "procrastinate")


async def one_engine(args: argparse.Namespace, engine: str, bank: Path) -> dict[str, object]:
    pg_url, server_url = await fresh_database(args)
    keys_dir = Path(tempfile.mkdtemp(prefix="assay-bench-keys-"))
    env = server_env(
        server_url,
        bank,
        args.scenarios,
        keys_dir,
        ASSAY_JOB_ENGINE=engine,
        ASSAY_GRADING_CONCURRENCY=str(args.grading_concurrency),
    )
    processes = [start_server(["-m", "app.cli", "serve", "--host", "127.0.0.1"], env, args.port)]
    try:
        base = f"http://127.0.0.1:{args.port}"
        await wait_ready(f"{base}/readyz")
        if processes[0].poll() is not None:
            raise RuntimeError(f"the server exited: is port {args.port} another's?")
        if engine == "procrastinate":
            processes.append(start_worker(env, args.grading_concurrency))
            await wait_workers(pg_url, 1)
        user_ids = await create_candidates(pg_url, args.candidates)
        tokens = TokenService(SECRET, SystemClock())
        minted = [tokens.issue(u, "access", timedelta(hours=2), sid=u)[0] for u in user_ids]
        t0 = time.perf_counter()
        started = await start_attempts(base, minted, concurrency=16, exam=args.exam)
        start_seconds = time.perf_counter() - t0
        savers = [(token, attempt_id, refs["mcq"]) for token, attempt_id, refs in started]
        autosave, samples = await asyncio.gather(
            paced(base, savers, args.interval, args.duration),
            public_runs(base, started, args.runs_per_minute, args.duration, args.settle),
        )
        runs = run_summary(samples)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        shutil.rmtree(keys_dir, ignore_errors=True)
    return {
        "engine": engine,
        "attempt_start_seconds": round(start_seconds, 1),
        "autosave": autosave,
        "runs": runs,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--interval", type=float, default=15.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--runs-per-minute", type=float, default=30.0)
    parser.add_argument(
        "--settle", type=float, default=120.0, help="seconds a run may still finish after"
    )
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--grading-concurrency", type=int, default=2)
    parser.add_argument("--exam", default="mlops-professional")
    parser.add_argument("--bank", type=Path, default=ROOT / "question_bank")
    parser.add_argument("--scenarios", type=Path, default=ROOT / "scenarios")
    parser.add_argument("--port", type=int, default=18190)
    add_database_arguments(parser, "assay_bench_mixed")
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    if unknown := set(engines) - set(ENGINES):
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")

    scratch = Path(tempfile.mkdtemp(prefix="assay-bench-mixed-"))
    try:
        bank = bench_bank(args.bank, args.exam, scratch)
        results = [await one_engine(args, engine, bank) for engine in engines]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": os.getloadavg(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "engines": results,
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "mixed.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(
        f"\n{args.candidates} candidates saving every {args.interval:g}s, "
        f"{args.runs_per_minute:g} public-check runs a minute, {args.duration:g}s each:"
    )
    for result in results:
        a, r = result["autosave"], result["runs"]
        assert isinstance(a, dict) and isinstance(r, dict)
        print(
            f"  {result['engine']}: autosave {a['requests']} saves, p50 {a['p50_ms']:.1f} ms, "
            f"p99 {a['p99_ms']:.1f} ms, {a['errors']} errors; runs {r['asked']} asked, "
            f"{r['done']} done, {r['error'] + r['refused'] + r['unfinished']} not, "
            f"p50 {r['latency_p50_s']:.1f} s, p99 {r['latency_p99_s']:.1f} s"
        )


if __name__ == "__main__":
    asyncio.run(main())
