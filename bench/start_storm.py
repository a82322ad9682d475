"""Synchronized-start benchmark, through scheduled sittings.

Starts `assay serve` on PostgreSQL (a fresh database, as bench/autosave.py does) on
127.0.0.1; an admin account and N pre-registered candidates per cohort (accounts and
tokens made beforehand, by SQL: signing them in would measure argon2). Then, cohort by
cohort, each against the history the earlier ones left:

1. an admin schedules a sitting of the exam (`POST /api/v1/sittings`, capacity N) whose
   start is far enough ahead for the check-ins (estimated from the previous cohort's
   check-in rate; a pilot of 100 check-ins before the first);
2. check-in: all N candidates check in at once (`POST /sittings/{id}/check-in`: the form
   drawn and the attempt created, clock not running); rate, p50/p99, errors; a 202
   (admission) is retried after its Retry-After and counted apart;
3. the start: at the sitting's start every candidate opens the exam at once, as the exam
   page does (`GET /attempts/{id}`, which must say `in_progress`, then the first item);
   all-started time (from the start to the last first item), p50/p99, errors.

Optionally, after cohort 1, H attempt items of history (scored attempts of the same exam
by 1,000 other people) are written with SQL and the exposure counters folded from them.
The ratio of the last cohort's check-in and start rates to the first's is the figure that
says whether a start's cost grows with history.

Bounded: each request has a timeout; only 127.0.0.1 is contacted. Usage:
    python bench/start_storm.py [--candidates 1000] [--cohorts 5] [--history-items 0]
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


async def create_users(
    pg_url: str, count: int, label: str, role: str = "candidate"
) -> list[uuid.UUID]:
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
                (i, f"{label}-{n}@example.org", f"{label} {n}", password_hash, role, now)
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


class Figures:
    """Latencies and errors of one storm."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.waited = 0  # 202 answers (admission), retried
        self.late = 0  # check-ins after the sitting's start

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def summary(self, count: int, elapsed: float) -> dict[str, object]:
        return {
            "candidates": count,
            "errors": sum(self.errors.values()),
            "errors_by_kind": self.errors,
            "admission_waits": self.waited,
            "latecomers": self.late,
            "seconds": round(elapsed, 2),
            "per_s": round(count / elapsed, 1),
            "p50_ms": round(percentile(self.latencies, 0.50), 1),
            "p99_ms": round(percentile(self.latencies, 0.99), 1),
            "max_ms": round(max(self.latencies, default=0.0), 1),
        }


def mint_tokens(ids: list[uuid.UUID]) -> list[str]:
    tokens = TokenService(SECRET, SystemClock())
    return [tokens.issue(str(u), "access", timedelta(hours=4), sid=str(u))[0] for u in ids]


def client_for(base: str, connections: int) -> httpx.AsyncClient:
    """``connections`` bounds what is open at a time (the client's pool), as a proxy in
    front of the service would."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base, timeout=120, limits=limits)


async def schedule(
    client: httpx.AsyncClient, admin_token: str, starts_at: datetime, capacity: int
) -> str:
    r = await client.post(
        "/api/v1/sittings",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={
            "exam_code": EXAM,
            "starts_at": starts_at.isoformat(),
            "check_in_opens_at": datetime.now(UTC).isoformat(),
            "capacity": capacity,
        },
    )
    r.raise_for_status()
    return str(r.json()["id"])


async def check_in_storm(
    client: httpx.AsyncClient, sitting_id: str, tokens: list[str]
) -> tuple[dict[str, object], dict[str, str]]:
    """Every candidate checks in at once; returns the figures and each token's attempt."""
    figures = Figures()
    attempts: dict[str, str] = {}

    async def one(token: str) -> None:
        started = time.perf_counter()
        try:
            for _ in range(100):  # admission: wait as told, then ask again
                r = await client.post(
                    f"/api/v1/sittings/{sitting_id}/check-in",
                    headers={"Authorization": f"Bearer {token}"},
                )
                if r.status_code != 202:
                    break
                figures.waited += 1
                await asyncio.sleep(float(r.headers["Retry-After"]))
            if r.status_code == 201:
                attempts[token] = r.json()["id"]
                if r.json()["status"] != "checked_in":
                    figures.late += 1  # checked in after the start: a latecomer
            else:
                figures.error(str(r.status_code))
        except httpx.HTTPError as exc:
            figures.error(type(exc).__name__)
        figures.latencies.append((time.perf_counter() - started) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(t) for t in tokens))
    return figures.summary(len(tokens), time.perf_counter() - t0), attempts


async def start_storm(
    client: httpx.AsyncClient, attempts: dict[str, str], starts_at: datetime
) -> dict[str, object]:
    """At the sitting's start every candidate opens the exam: the attempt's state (it must
    be running) and its first item. Timed from the start itself."""
    figures = Figures()
    await asyncio.sleep(max(0.0, (starts_at - datetime.now(UTC)).total_seconds()) + 0.05)
    # Timed from the start itself (the 50 ms after it count), or from now if the
    # check-ins ran past it.
    fired = max(starts_at, datetime.now(UTC))

    async def one(token: str, attempt_id: str) -> None:
        started = time.perf_counter()
        headers = {"Authorization": f"Bearer {token}"}
        try:
            state = await client.get(f"/api/v1/attempts/{attempt_id}", headers=headers)
            if state.status_code != 200 or state.json()["status"] != "in_progress":
                figures.error(f"state {state.status_code} {state.json().get('status')}")
                return
            item = await client.get(f"/api/v1/attempts/{attempt_id}/items/q1", headers=headers)
            if item.status_code != 200:
                figures.error(f"item {item.status_code}")
        except httpx.HTTPError as exc:
            figures.error(type(exc).__name__)
        finally:
            figures.latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(one(t, a) for t, a in attempts.items()))
    summary = figures.summary(len(attempts), (datetime.now(UTC) - fired).total_seconds())
    summary["fired_after_start_s"] = round((fired - starts_at).total_seconds(), 2)
    return summary


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


async def seed_checked_in(
    pg_url: str, sitting_id: str, template_attempt: str, user_ids: list[uuid.UUID]
) -> list[str]:
    """Checked-in attempts for ``user_ids`` in the sitting, written by SQL as copies of a
    real check-in's form (``template_attempt``): the start storm reads them exactly as it
    reads checked-in attempts, without waiting for thousands of check-ins first."""
    ids = [uuid.uuid4() for _ in user_ids]
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(
            """
            INSERT INTO attempts (id, user_id, exam_version_id, exam_code, status, seed,
                                  started_at, deadline_at, sitting_id)
            SELECT a.id, a.user_id, t.exam_version_id, t.exam_code, 'in_progress', a.n,
                   s.starts_at, s.starts_at + (t.deadline_at - t.started_at), s.id
            FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS a(id, user_id, n),
                 attempts AS t, sittings AS s
            WHERE t.id = $3 AND s.id = $4
            """,
            ids,
            user_ids,
            uuid.UUID(template_attempt),
            uuid.UUID(sitting_id),
        )
        await conn.execute(
            """
            INSERT INTO attempt_items (attempt_id, ref, position, kind, section,
                                       item_version_id, option_order, scenario_id,
                                       scenario_version, scenario_params)
            SELECT a.id, i.ref, i.position, i.kind, i.section, i.item_version_id,
                   i.option_order, i.scenario_id, i.scenario_version, i.scenario_params
            FROM unnest($1::uuid[]) AS a(id), attempt_items AS i WHERE i.attempt_id = $2
            """,
            ids,
            uuid.UUID(template_attempt),
        )
        await conn.execute(
            "UPDATE sittings SET checked_in = $1 WHERE id = $2", len(ids), uuid.UUID(sitting_id)
        )
        await conn.execute("ANALYZE attempts")
    finally:
        await conn.close()
    return [str(i) for i in ids]


async def seeded_start(
    base: str, connections: int, pg_url: str, admin_token: str, template: str, count: int
) -> dict[str, object]:
    user_ids = await create_users(pg_url, count, "seeded")
    tokens = mint_tokens(user_ids)
    starts_at = (datetime.now(UTC) + timedelta(seconds=30)).replace(microsecond=0)
    async with client_for(base, connections) as client:
        sitting_id = await schedule(client, admin_token, starts_at, count)
        attempt_ids = await seed_checked_in(pg_url, sitting_id, template, user_ids)
        start = await start_storm(client, dict(zip(tokens, attempt_ids, strict=True)), starts_at)
    return {"candidates": count, "start": start}


async def cohort(
    base: str,
    connections: int,
    admin_token: str,
    tokens: list[str],
    checkins_per_s: float,
) -> dict[str, object]:
    # The start far enough ahead for every check-in (twice the estimate, and 10 s).
    lead = 10 + 2 * len(tokens) / checkins_per_s
    starts_at = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0)
    async with client_for(base, connections) as client:
        sitting_id = await schedule(client, admin_token, starts_at, len(tokens))
        check_in, attempts = await check_in_storm(client, sitting_id, tokens)
        start = await start_storm(client, attempts, starts_at)
    return {
        "lead_s": round(lead, 1),
        "check_in": check_in,
        "start": start,
        "rate": check_in["per_s"],
        "template": next(iter(attempts.values())),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--cohorts", type=int, default=5)
    parser.add_argument("--history-items", type=int, default=0)
    parser.add_argument("--connections", type=int, default=24)
    parser.add_argument(
        "--seeded-start",
        type=int,
        default=0,
        help="then this many checked-in attempts written by SQL (copies of a real "
        "check-in's form) all start at once",
    )
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
    mint = mint_tokens

    results: list[dict[str, object]] = []
    history: dict[str, float] = {}
    seeded: dict[str, object] = {}
    template = ""
    try:
        base = f"http://127.0.0.1:{args.port}"
        await wait_ready(f"{base}/readyz")
        admin_token = mint(await create_users(pg_url, 1, "admin", role="admin"))[0]
        pilot = mint(await create_users(pg_url, 100, "pilot"))
        async with client_for(base, args.connections) as client:
            sitting = await schedule(
                client, admin_token, datetime.now(UTC) + timedelta(hours=1), len(pilot)
            )
            pilot_figures, _ = await check_in_storm(client, sitting, pilot)
        rate = float(pilot_figures["per_s"])  # type: ignore[arg-type]
        cohorts = [
            mint(await create_users(pg_url, args.candidates, f"cohort{n + 1}"))
            for n in range(args.cohorts)
        ]
        for n, cohort_tokens in enumerate(cohorts):
            if n == 1 and args.history_items:
                history = await seed_history(pg_url, args.history_items, 20)
            result = await cohort(base, args.connections, admin_token, cohort_tokens, rate)
            rate = float(result.pop("rate"))  # type: ignore[arg-type]
            template = str(result.pop("template"))
            results.append(result)
            print(f"cohort {n + 1}: {json.dumps(result)}", flush=True)
        if args.seeded_start:
            seeded = await seeded_start(
                base, args.connections, pg_url, admin_token, template, args.seeded_start
            )
            print(f"seeded start: {json.dumps(seeded)}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        scratch.cleanup()

    def ratio(phase: str) -> float:
        first = float(results[0][phase]["per_s"])  # type: ignore[index]
        last = float(results[-1][phase]["per_s"])  # type: ignore[index]
        return round(last / first, 3)

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": os.getloadavg(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "server_database": "unix socket" if "?host=" in server_url else "tcp 127.0.0.1",
        "pilot_check_in": pilot_figures,
        "history": history,
        "cohorts": results,
        "seeded_start": seeded,
        "check_in_rate_ratio_last_to_first": ratio("check_in"),
        "start_rate_ratio_last_to_first": ratio("start"),
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "start_storm.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
