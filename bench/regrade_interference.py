"""Does a regrade delay candidates' public checks? (issue 15: "a regrade of 10,000
attempts never delays a candidate's public check by more than a second")

For each topology, in one run, against `assay serve` on 127.0.0.1 with procrastinate
(``ASSAY_JOB_ENGINE=procrastinate``, a fresh PostgreSQL database each) and real `assay
worker` processes:

- ``one``: one worker on every queue, ``--concurrency 2``;
- ``compose``: compose.yaml's: that worker, plus one on the interactive queue only.

1. Candidates start `mlops-professional` (the bench's copy of the bank, without its
   prerequisite). One of them answers every multiple-choice item with a wrong option and
   submits; the workers grade its scenarios and score it: the template.
2. N scored copies of the template (attempt, form, answers, final gradings) are written
   by SQL in bulk, each its own candidate's, as history; then an admin proposes through
   the API to accept the template's wrong answer to one of its items (a key correction:
   the commonest regrade, a miskeyed item; every copy gains the item's point, so every
   copy is rescored *and written*: its score, an audit record, its item outcomes).
3. Baseline: the other candidates ask for public-check runs at R a minute for B seconds,
   each followed to its result (polled every P seconds, as the exam page reads it).
4. Regrade: the same runs, and after a lead-in the admin applies the regrade through the
   API (`POST /regrades/{id}/apply`) and follows it until it is applied; the runs go on
   until then. A run counts for the regrade when it was asked for while it was applying.

Reported per topology: the regrade's duration and attempts/s, its counts; the runs'
latency from the request to the result (p50, p99, max) without and with the regrade in
flight, the difference (the delay), and errors. Full figures go to
bench/results/regrade_interference.json. Only 127.0.0.1 is contacted. Usage:
    python bench/regrade_interference.py [--attempts 10000] [--runs-per-minute 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.attempts.items import OPTION_LABELS  # noqa: E402
from bench.autosave import (  # noqa: E402
    add_database_arguments,
    fresh_database,
    percentile,
    start_attempts,
    start_server,
    wait_ready,
)
from bench.start_storm import create_users, mint_tokens  # noqa: E402
from bench.workload import (  # noqa: E402
    RunSample,
    bench_bank,
    public_runs,
    run_summary,
    server_env,
    start_worker,
    wait_workers,
)

EXAM = "mlops-professional"
# Worker processes per topology: (queues or None for every queue) each.
TOPOLOGIES: dict[str, list[str | None]] = {
    "one": [None],
    "compose": [None, "interactive"],
}
TARGET_SECONDS = 1.0


# --- The figures (no timing in here: tested in tests/bench) --------------------------


def phase_of(sample: RunSample, applying: tuple[float, float]) -> str:
    """``regrade`` for a run asked for while the regrade was applying (from the apply
    request to the moment it was seen applied), ``outside`` otherwise."""
    return "regrade" if applying[0] <= sample.asked_at <= applying[1] else "outside"


def runs_needed(per_minute: float, seconds: float, budget: int, items: int) -> int:
    """Candidates enough for ``per_minute`` runs over ``seconds`` when each of a
    candidate's ``items`` scenario items allows ``budget`` runs (plus one spare)."""
    runs = math.ceil(per_minute * seconds / 60) + 1
    return math.ceil(runs / (budget * items)) + 1


def delays(baseline: dict[str, float], during: dict[str, float]) -> dict[str, float]:
    """During the regrade minus without it, for p50, p99 and max (seconds)."""
    return {
        f"{figure}_s": during[f"latency_{figure}_s"] - baseline[f"latency_{figure}_s"]
        for figure in ("p50", "p99", "max")
    }


def errors_of(summary: dict[str, float]) -> int:
    return int(summary["error"] + summary["refused"] + summary["unfinished"])


@dataclass(frozen=True)
class JobTiming:
    """A run's job as procrastinate recorded it: the worker that ran it, how long it
    waited in the queue (deferred to started) and ran (started to finished)."""

    worker: str
    waited: float
    ran: float


def job_summary(samples: list[RunSample], jobs: dict[str, JobTiming]) -> dict[str, Any]:
    """The runs' jobs: queue wait and run time (p50, max), and per worker the runs it
    ran and their latency from the request to the result (p50, max)."""
    timed = [(s, jobs[s.run_id]) for s in samples if s.run_id in jobs and s.seconds is not None]
    waited = [j.waited for _, j in timed]
    ran = [j.ran for _, j in timed]
    by_worker: dict[str, list[float]] = {}
    for s, j in timed:
        by_worker.setdefault(j.worker, []).append(s.seconds or 0.0)
    return {
        "queue_wait_p50_s": percentile(waited, 0.5),
        "queue_wait_max_s": max(waited, default=float("nan")),
        "job_p50_s": percentile(ran, 0.5),
        "job_max_s": max(ran, default=float("nan")),
        "by_worker": {
            worker: {
                "runs": len(latencies),
                "latency_p50_s": percentile(latencies, 0.5),
                "latency_max_s": max(latencies),
            }
            for worker, latencies in sorted(by_worker.items())
        },
    }


# --- Seeding ---------------------------------------------------------------------------


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    """A table's columns a copy writes (not those a sequence fills)."""
    rows = await conn.fetch(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = $1
           AND is_generated = 'NEVER' AND identity_generation IS NULL
           AND coalesce(column_default, '') NOT LIKE 'nextval(%'
         ORDER BY ordinal_position
        """,
        table,
    )
    return [r["column_name"] for r in rows]


async def seed_copies(pg_url: str, template: uuid.UUID, count: int) -> dict[str, Any]:
    """``count`` copies of the scored template attempt, each its own new candidate's: the
    attempt row, its form, its answers and its final gradings, by SQL in bulk."""
    t0 = time.perf_counter()
    owners = await create_users(pg_url, count, "history")
    ids = [uuid.uuid4() for _ in owners]
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("SET synchronous_commit = off")
        async with conn.transaction():
            await conn.execute(
                """
                CREATE TEMP TABLE copies ON COMMIT DROP AS
                SELECT * FROM unnest($1::uuid[], $2::uuid[]) AS c(id, user_id)
                """,
                ids,
                owners,
            )
            for table, key, replace, where in (
                ("attempts", "id", {"id": "c.id", "user_id": "c.user_id"}, ""),
                ("attempt_items", "attempt_id", {"attempt_id": "c.id"}, ""),
                ("responses", "attempt_id", {"attempt_id": "c.id"}, ""),
                (
                    "scenario_runs",
                    "attempt_id",
                    {"id": "gen_random_uuid()", "attempt_id": "c.id"},
                    "AND t.kind = 'final'",
                ),
            ):
                columns = await _columns(conn, table)
                select = ", ".join(replace.get(c, f't."{c}"') for c in columns)
                names = ", ".join(f'"{c}"' for c in columns)
                await conn.execute(
                    f"INSERT INTO {table} ({names}) SELECT {select} FROM copies AS c, "  # noqa: S608
                    f'{table} AS t WHERE t."{key}" = $1 {where}',
                    template,
                )
        await conn.execute("ANALYZE")
        counts = {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
            for table in ("attempts", "attempt_items", "responses", "scenario_runs")
        }
    finally:
        await conn.close()
    return {**counts, "seed_seconds": round(time.perf_counter() - t0, 1)}


async def make_template(
    base: str, pg_url: str, token: str, attempt_id: str, within_seconds: float = 300
) -> tuple[str, str]:
    """Answers every multiple-choice item of the attempt with an option outside its key,
    submits, and waits until it is scored (the workers grade its scenarios). Returns an
    item of its form and the wrong option its candidate chose there."""
    conn = await asyncpg.connect(pg_url)
    try:
        rows = await conn.fetch(
            """
            SELECT i.ref, i.option_order, v.item_id, v.key FROM attempt_items i
              JOIN item_versions v ON v.id = i.item_version_id
             WHERE i.attempt_id = $1 AND i.kind = 'mcq' ORDER BY i.position
            """,
            uuid.UUID(attempt_id),
        )
        headers = {"Authorization": f"Bearer {token}"}
        wrong: dict[str, tuple[str, str]] = {}
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for row in rows:
                # Labels are per attempt: label n shows option_order[n] of the item.
                order, key = (_json(row[c]) for c in ("option_order", "key"))
                label, option = next(
                    (OPTION_LABELS[n], str(o))
                    for n, o in enumerate(order)
                    if str(o) not in {str(k) for k in key}
                )
                r = await client.put(
                    f"/api/v1/attempts/{attempt_id}/responses/{row['ref']}",
                    json={"choices": [label], "seq": 1},
                    headers=headers,
                )
                r.raise_for_status()
                wrong[row["ref"]] = (str(row["item_id"]), option)
            r = await client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)
            r.raise_for_status()
        deadline = time.monotonic() + within_seconds
        while time.monotonic() < deadline:
            status = await conn.fetchval(
                "SELECT status FROM attempts WHERE id = $1", uuid.UUID(attempt_id)
            )
            if status in ("scored", "under_review"):
                return next(iter(wrong.values()))
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    raise RuntimeError("the template attempt was not scored in time")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def job_timings(pg_url: str, workers: list[str | None]) -> dict[str, JobTiming]:
    """Each public-check run's job (by run id), from procrastinate's table and events;
    workers named by their queues, in the order they were started (their ids')."""
    conn = await asyncpg.connect(pg_url)
    try:
        ids = [
            r["id"] for r in await conn.fetch("SELECT id FROM procrastinate_workers ORDER BY id")
        ]
        names = {
            worker_id: f"{n + 1}: {queues or 'every queue'}"
            for n, (worker_id, queues) in enumerate(zip(ids, workers, strict=False))
        }
        rows = await conn.fetch(
            """
            SELECT j.args->>'run_id' AS run_id, j.worker_id,
                   extract(epoch FROM max(e.at) FILTER (WHERE e.type = 'started')
                                    - min(e.at) FILTER (WHERE e.type = 'deferred')) AS waited,
                   extract(epoch FROM max(e.at) FILTER (WHERE e.type = 'succeeded')
                                    - max(e.at) FILTER (WHERE e.type = 'started')) AS ran
              FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id
             WHERE j.task_name = 'grade_run' AND j.queue_name = 'interactive'
             GROUP BY j.id
            """
        )
    finally:
        await conn.close()
    return {
        r["run_id"]: JobTiming(
            names.get(r["worker_id"], str(r["worker_id"])), float(r["waited"]), float(r["ran"])
        )
        for r in rows
        if r["waited"] is not None and r["ran"] is not None
    }


# --- The run -------------------------------------------------------------------------


async def apply_and_follow(
    base: str, admin: str, regrade_id: str, within_seconds: float
) -> tuple[float, float, dict[str, Any]]:
    """Applies the regrade as the admin and follows it until it is applied (as the
    regrade's page does, every half second). Returns when the apply was asked for and
    when it was seen applied (``time.monotonic()``), and the regrade's last detail."""
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        asked = time.monotonic()
        r = await client.post(
            f"/api/v1/regrades/{regrade_id}/apply",
            json={"reason": "Option accepted: the item's wording allows it (bench)."},
            headers=headers,
        )
        r.raise_for_status()
        detail: dict[str, Any] = {}
        while time.monotonic() < asked + within_seconds:
            await asyncio.sleep(0.5)
            r = await client.get(f"/api/v1/regrades/{regrade_id}?limit=0", headers=headers)
            if r.status_code != 200:
                continue
            detail = r.json()
            if detail["regrade"]["status"] == "applied":
                return asked, time.monotonic(), detail
    raise RuntimeError(f"the regrade was not applied within {within_seconds:g} s: {detail}")


async def one_topology(args: argparse.Namespace, name: str, bank: Path) -> dict[str, Any]:
    pg_url, server_url = await fresh_database(args)
    keys_dir = Path(tempfile.mkdtemp(prefix="assay-bench-keys-"))
    env = server_env(
        server_url,
        bank,
        args.scenarios,
        keys_dir,
        ASSAY_JOB_ENGINE="procrastinate",
        **({"ASSAY_REGRADE_BATCH": str(args.regrade_batch)} if args.regrade_batch else {}),
    )
    processes = [start_server(["-m", "app.cli", "serve", "--host", "127.0.0.1"], env, args.port)]
    try:
        base = f"http://127.0.0.1:{args.port}"
        await wait_ready(f"{base}/readyz")
        if processes[0].poll() is not None:
            raise RuntimeError(f"the server exited: is port {args.port} another's?")
        for n, queues in enumerate(TOPOLOGIES[name]):  # one by one: ids in this order
            processes.append(start_worker(env, args.concurrency, queues))
            await wait_workers(pg_url, n + 1)

        per_candidate_seconds = args.baseline + args.regrade_timeout
        candidates = args.candidates or runs_needed(
            args.runs_per_minute, per_candidate_seconds, budget=8, items=3
        )
        user_ids = await create_users(pg_url, candidates + 1, "candidate")
        (admin_id,) = await create_users(pg_url, 1, "admin", role="admin")
        tokens = mint_tokens(user_ids)
        (admin,) = mint_tokens([admin_id])
        started = await start_attempts(base, tokens, concurrency=8, exam=EXAM)
        template_token, template_id, _ = started[0]
        item_id, wrong = await make_template(base, pg_url, template_token, template_id)
        seeded = await seed_copies(pg_url, uuid.UUID(template_id), args.attempts)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            r = await client.post(
                "/api/v1/regrades",
                json={
                    "item_id": item_id,
                    "change": "accept",
                    "key": [wrong],
                    "reason": "The option is also right as the item is worded (bench).",
                },
                headers={"Authorization": f"Bearer {admin}"},
            )
            r.raise_for_status()
            regrade_id = r.json()["id"]
        runners = started[1:]

        baseline = await public_runs(
            base,
            runners,
            args.runs_per_minute,
            args.baseline,
            args.settle,
            poll_seconds=args.poll_seconds,
        )
        stop = asyncio.Event()

        async def regrade() -> tuple[float, float, dict[str, Any]]:
            await asyncio.sleep(args.lead_in)
            try:
                return await apply_and_follow(base, admin, regrade_id, args.regrade_timeout)
            finally:
                await asyncio.sleep(args.tail)
                stop.set()

        samples, (asked, applied, detail) = await asyncio.gather(
            public_runs(
                base,
                runners,
                args.runs_per_minute,
                args.lead_in + args.regrade_timeout + args.tail,
                args.settle,
                poll_seconds=args.poll_seconds,
                stop=stop,
            ),
            regrade(),
        )
        jobs = await job_timings(pg_url, TOPOLOGIES[name])  # before the workers leave
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        shutil.rmtree(keys_dir, ignore_errors=True)

    during = [s for s in samples if phase_of(s, (asked, applied)) == "regrade"]
    without = run_summary(baseline)
    with_regrade = run_summary(during)
    seconds = applied - asked
    return {
        "topology": name,
        "workers": [q or "every queue" for q in TOPOLOGIES[name]],
        "concurrency": args.concurrency,
        "candidates_running_checks": len(runners),
        "seeded": seeded,
        "regrade": {
            "seconds": round(seconds, 2),
            "attempts_per_s": round(args.attempts / seconds, 1),
            "applied": detail.get("applied", {}).get("total"),
        },
        "baseline": without,
        "during_regrade": with_regrade,
        "around_regrade": run_summary([s for s in samples if s not in during]),
        "delay": delays(without, with_regrade),
        "jobs": {
            "baseline": job_summary(baseline, jobs),
            "during_regrade": job_summary(during, jobs),
        },
        "errors": errors_of(without) + errors_of(run_summary(samples)),
        "samples": {
            "baseline": [asdict(s) for s in baseline],
            "regrade_phase": [{**asdict(s), "during": s in during} for s in samples],
            "applying": [asked, applied],
        },
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--attempts", type=int, default=10_000, help="scored attempts regraded")
    parser.add_argument("--topologies", default=",".join(TOPOLOGIES))
    parser.add_argument("--concurrency", type=int, default=2, help="each worker's")
    parser.add_argument("--runs-per-minute", type=float, default=60.0)
    parser.add_argument("--baseline", type=float, default=60.0, help="seconds without regrade")
    parser.add_argument("--lead-in", type=float, default=5.0, help="runs before the apply")
    parser.add_argument("--tail", type=float, default=5.0, help="runs after it is applied")
    parser.add_argument("--regrade-timeout", type=float, default=900.0)
    parser.add_argument("--settle", type=float, default=60.0, help="a run may still finish")
    parser.add_argument("--poll-seconds", type=float, default=0.1)
    parser.add_argument("--candidates", type=int, default=0, help="0: enough for the runs")
    parser.add_argument(
        "--regrade-batch", type=int, default=0, help="ASSAY_REGRADE_BATCH; 0: the default"
    )
    parser.add_argument("--bank", type=Path, default=ROOT / "question_bank")
    parser.add_argument("--scenarios", type=Path, default=ROOT / "scenarios")
    parser.add_argument("--port", type=int, default=18290)
    add_database_arguments(parser, "assay_bench_regrade")
    args = parser.parse_args()
    names = [t for t in args.topologies.split(",") if t]
    if unknown := set(names) - set(TOPOLOGIES):
        parser.error(f"unknown topologies: {', '.join(sorted(unknown))}")

    scratch = Path(tempfile.mkdtemp(prefix="assay-bench-regrade-"))
    load_before = os.getloadavg()
    try:
        bank = bench_bank(args.bank, EXAM, scratch)
        results = [await one_topology(args, name, bank) for name in names]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        admin = await asyncpg.connect(args.pg_admin)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        finally:
            await admin.close()

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "topologies": results,
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "regrade_interference.json").write_text(json.dumps(report, indent=2))
    print(
        f"\nregrade of {args.attempts} attempts; public-check runs {args.runs_per_minute:g} "
        f"a minute; load {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'topology':<9} {'regrade s':>9} {'att/s':>7}  {'without p50/p99/max s':>22}  "
        f"{'with p50/p99/max s':>22}  {'delay p50/p99/max s':>22}  errors"
    )
    for r in results:
        b, d, delay = r["baseline"], r["during_regrade"], r["delay"]
        applied = r["regrade"]["applied"] or {}

        def trio(s: dict[str, float], prefix: str = "latency_") -> str:
            return "/".join(f"{s[f'{prefix}{f}_s']:.2f}" for f in ("p50", "p99", "max"))

        verdict = "met" if delay["max_s"] <= TARGET_SECONDS else "MISSED"
        print(
            f"{r['topology']:<9} {r['regrade']['seconds']:>9.1f} "
            f"{r['regrade']['attempts_per_s']:>7.1f}  {trio(b):>22}  {trio(d):>22}  "
            f"{trio(delay, ''):>22}  {r['errors']}  (n={b['asked']}/{d['asked']}; "
            f"rescored {applied.get('affected')}, changed {applied.get('changed')}; "
            f"1 s target {verdict})"
        )
        for phase, label in (("baseline", "without"), ("during_regrade", "with")):
            j = r["jobs"][phase]
            workers = "; ".join(
                f"worker {w}: {v['runs']} runs, p50 {v['latency_p50_s']:.2f} s, "
                f"max {v['latency_max_s']:.2f} s"
                for w, v in j["by_worker"].items()
            )
            print(
                f"    {label}: queue wait p50/max {j['queue_wait_p50_s']:.2f}/"
                f"{j['queue_wait_max_s']:.2f} s, job p50/max {j['job_p50_s']:.2f}/"
                f"{j['job_max_s']:.2f} s; {workers}"
            )


if __name__ == "__main__":
    asyncio.run(main())
