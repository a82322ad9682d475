"""Synchronized-start benchmark.

Starts `assay serve` on PostgreSQL (a fresh database, as bench/autosave.py does) on
127.0.0.1, then:

1. cohort 1: N pre-registered candidates (accounts and tokens made beforehand) start the
   same exam at once; all-started time, p50/p99 latency, errors, starts per second;
2. history: H attempt items (in attempts of the same exam by other people) are written
   directly with SQL, and the exposure counters folded from them as the background pass
   would;
3. cohort 2: N more candidates start at once against that history; the same figures, and
   the ratio of the two start rates (the target is >= 0.9: a start's cost must not grow
   with history).

Bounded: 2N requests, each with a timeout; only 127.0.0.1 is contacted. Usage:
    python bench/start_storm.py [--candidates 1000] [--history-items 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.clock import SystemClock  # noqa: E402
from app.core.security import TokenService, hash_password  # noqa: E402
from bench.autosave import (  # noqa: E402
    SECRET,
    add_database_arguments,
    fresh_database,
    percentile,
    start_server,
    wait_ready,
)

EXAM = "mlops-foundation"


async def create_users(pg_url: str, count: int, label: str) -> list[uuid.UUID]:
    """Accounts with one sign-in each, inserted directly (one argon2 hash shared):
    registering them through the API would measure argon2, not the start."""
    conn = await asyncpg.connect(pg_url)
    password_hash = hash_password("bench password 123")
    now = datetime.now(UTC).replace(tzinfo=None)
    ids = [uuid.uuid4() for _ in range(count)]
    try:
        await conn.copy_records_to_table(
            "users",
            records=[
                (i, f"{label}-{n}@example.org", f"{label} {n}", password_hash, "candidate", now)
                for n, i in enumerate(ids)
            ],
            columns=["id", "email", "full_name", "password_hash", "role", "created_at"],
        )
        await conn.copy_records_to_table(
            "sessions",
            records=[(i, i, "token", now, now + timedelta(hours=2), None) for i in ids],
            columns=["id", "user_id", "via", "created_at", "expires_at", "revoked_at"],
        )
    finally:
        await conn.close()
    return ids


async def storm(base: str, tokens: list[str], connections: int) -> dict[str, float]:
    """Every candidate's start is sent at once; ``connections`` bounds what is open at a
    time (the client's pool), as a proxy in front of the service would."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def one(token: str) -> None:
            started = time.perf_counter()
            try:
                r = await client.post(
                    f"/api/v1/exams/{EXAM}/attempts", headers={"Authorization": f"Bearer {token}"}
                )
                if r.status_code != 201:
                    errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            latencies.append((time.perf_counter() - started) * 1000)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(t) for t in tokens))
        elapsed = time.perf_counter() - t0
    return {
        "candidates": len(tokens),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,  # type: ignore[dict-item]
        "all_started_s": round(elapsed, 2),
        "starts_per_s": round(len(tokens) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
    }


async def seed_history(pg_url: str, items: int, per_attempt: int) -> dict[str, float]:
    """``items`` attempt items in scored attempts of the exam, spread over 1,000 past
    candidates, drawn from the exam's pool; then the counters folded from them (what the
    migration and the background pass do) and the planner's statistics refreshed."""
    attempts = max(1, items // per_attempt)
    t0 = time.perf_counter()
    owners = await create_users(pg_url, 1000, "history")
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("SET synchronous_commit = off")
        exam_version_id = await conn.fetchval(
            "SELECT id FROM exam_versions WHERE code = $1 ORDER BY created_at DESC LIMIT 1", EXAM
        )
        await conn.execute(
            """
            INSERT INTO attempts (id, user_id, exam_version_id, exam_code, status, seed,
                                  started_at, deadline_at, submitted_at, submitted_by,
                                  scored_at, score, passed)
            SELECT gen_random_uuid(), ($1::uuid[])[1 + n % array_length($1::uuid[], 1)],
                   $2, $3, 'scored', n, now() - interval '400 days',
                   now() - interval '400 days' + interval '90 minutes',
                   now() - interval '400 days' + interval '80 minutes', 'candidate',
                   now() - interval '400 days' + interval '81 minutes', 0.5, false
            FROM generate_series(1, $4) AS n
            """,
            owners,
            exam_version_id,
            EXAM,
            attempts,
        )
        await conn.execute(
            """
            WITH pool AS (SELECT array_agg(id ORDER BY id) AS ids FROM item_versions
                          WHERE NOT retired),
                 past AS (SELECT id FROM attempts WHERE status = 'scored')
            INSERT INTO attempt_items (attempt_id, ref, position, kind, section, item_version_id)
            SELECT past.id, 'q' || p, p, 'mcq', 0,
                   pool.ids[1 + (abs(hashtext(past.id::text || p)) % array_length(pool.ids, 1))]
            FROM past, pool, generate_series(1, $1) AS p
            """,
            per_attempt,
        )
        await conn.execute(
            """
            INSERT INTO item_exposure (item_id, shown)
            SELECT item_versions.item_id, count(*)
            FROM attempt_items JOIN item_versions ON item_versions.id = attempt_items.item_version_id
            GROUP BY item_versions.item_id
            ON CONFLICT (item_id) DO UPDATE SET shown = EXCLUDED.shown
            """
        )
        await conn.execute("DELETE FROM exposure_pending")
        await conn.execute("ANALYZE")
        total = await conn.fetchval("SELECT count(*) FROM attempt_items")
    finally:
        await conn.close()
    return {
        "attempts": attempts,
        "attempt_items_total": total,
        "seed_seconds": round(time.perf_counter() - t0, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--history-items", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=24)
    add_database_arguments(parser, "assay_bench_start")
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument("--bank", type=Path, default=ROOT / "question_bank")
    args = parser.parse_args()

    pg_url, server_url = await fresh_database(args)
    # The server's development signing keys go to a scratch directory, not the working
    # tree (where the tests would find them).
    scratch = tempfile.TemporaryDirectory(prefix="assay-start-storm-")
    env = {
        "ASSAY_SIGNING_KEYS_FILE": str(Path(scratch.name) / "signing-keys.json"),
        "ASSAY_DATABASE_URL": server_url,
        "ASSAY_SECRET_KEY": SECRET,
        "ASSAY_LOG_LEVEL": "WARNING",
        "ASSAY_QUESTION_BANK": str(args.bank),
    }
    server = start_server(["-m", "app.cli", "serve", "--host", "127.0.0.1"], env, args.port)
    tokens = TokenService(SECRET, SystemClock())

    def mint(ids: list[uuid.UUID]) -> list[str]:
        return [tokens.issue(str(u), "access", timedelta(hours=2), sid=str(u))[0] for u in ids]

    try:
        base = f"http://127.0.0.1:{args.port}"
        await wait_ready(f"{base}/readyz")
        first_tokens = mint(await create_users(pg_url, args.candidates, "cohort1"))
        second_tokens = mint(await create_users(pg_url, args.candidates, "cohort2"))
        first = await storm(base, first_tokens, args.connections)
        conn = await asyncpg.connect(pg_url)
        try:
            per_attempt = await conn.fetchval(
                "SELECT count(*) / greatest(count(DISTINCT attempt_id), 1) FROM attempt_items"
            )
        finally:
            await conn.close()
        history = await seed_history(pg_url, args.history_items, int(per_attempt) or 20)
        second = await storm(base, second_tokens, args.connections)
    finally:
        server.terminate()
        server.wait(timeout=30)
        scratch.cleanup()

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "server_database": "unix socket" if "?host=" in server_url else "tcp 127.0.0.1",
        "cohort_1": first,
        "history": history,
        "cohort_2": second,
        "rate_ratio": round(second["starts_per_s"] / first["starts_per_s"], 3),
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "start_storm.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
