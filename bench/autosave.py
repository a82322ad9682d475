"""Autosave benchmark.

Starts `assay serve` on PostgreSQL and the bare endpoint (bench/bare_app.py), each as
its own single-worker uvicorn process on 127.0.0.1, then:

1. paced: N simulated candidates, each saving an answer every INTERVAL seconds (first
   save at a random offset), for DURATION seconds; latency p50/p99 and errors;
2. throughput: a closed loop of C concurrent clients against autosave, then against the
   bare endpoint, for T seconds each; requests per second and the ratio.

Only 127.0.0.1 is contacted. Usage:
    python bench/autosave.py [--candidates 2000] [--interval 15] [--duration 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import subprocess
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

from app.cli import SERVE_LOOP  # noqa: E402
from app.core.clock import SystemClock  # noqa: E402
from app.core.security import TokenService, hash_password  # noqa: E402

SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
EXAM = "mlops-foundation"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def reset_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def start_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and modules
        [sys.executable, *args, "--port", str(port)],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_ready(url: str, within_seconds: float = 120) -> None:
    deadline = time.monotonic() + within_seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    raise RuntimeError(f"{url} did not become ready")


def add_database_arguments(parser: argparse.ArgumentParser, database: str) -> None:
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--pg-socket-dir", default="/var/run/postgresql")
    parser.add_argument("--pg-tcp", action="store_true", help="serve over TCP, not the socket")
    parser.add_argument("--database", default=database)


async def fresh_database(args: argparse.Namespace) -> tuple[str, str]:
    """Recreates the benchmark's database. Returns its URL for this script (asyncpg, TCP)
    and the one the server gets: the local PostgreSQL reached the way a co-located
    deployment would, by its Unix socket when there is one (``--pg-tcp`` for TCP)."""
    await reset_database(args.pg_admin, args.database)
    pg_url = args.pg_admin.rsplit("/", 1)[0] + f"/{args.database}"
    return pg_url, _server_url(args, pg_url).replace("postgresql://", "postgresql+asyncpg://")


def _server_url(args: argparse.Namespace, pg_url: str) -> str:
    if not args.pg_tcp and os.path.exists(os.path.join(args.pg_socket_dir, ".s.PGSQL.5432")):
        return f"postgresql://postgres@/{args.database}?host={args.pg_socket_dir}"
    return pg_url


async def create_candidates(pg_url: str, count: int) -> list[str]:
    """Accounts are inserted directly (one argon2 hash shared): registering 2,000 people
    through the API would benchmark argon2, not autosave. Each gets a session whose id is
    its own (the tokens are minted here)."""
    conn = await asyncpg.connect(pg_url)
    password_hash = hash_password("bench password 123")
    now = datetime.now(UTC).replace(tzinfo=None)
    ids = [uuid.uuid4() for _ in range(count)]
    try:
        await conn.copy_records_to_table(
            "users",
            records=[
                (
                    i,
                    f"bench-{n}@example.org",
                    f"Bench Candidate {n}",
                    password_hash,
                    "candidate",
                    now,
                )
                for n, i in enumerate(ids)
            ],
            columns=["id", "email", "full_name", "password_hash", "role", "created_at"],
        )
        # One sign-in each (the token's ``sid``), as the token route would open it.
        await conn.copy_records_to_table(
            "sessions",
            records=[(i, i, "token", now, now + timedelta(hours=2), None) for i in ids],
            columns=["id", "user_id", "via", "created_at", "expires_at", "revoked_at"],
        )
    finally:
        await conn.close()
    return [str(i) for i in ids]


async def start_attempts(
    base: str, tokens: list[str], concurrency: int, exam: str = EXAM
) -> list[tuple[str, str, dict[str, list[str]]]]:
    """Starts one attempt of ``exam`` per token: (token, attempt id, item refs by kind)."""
    out: list[tuple[str, str, dict[str, list[str]]]] = []
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def one(token: str) -> None:
            async with gate:
                for _ in range(30):
                    r = await client.post(
                        f"/api/v1/exams/{exam}/attempts",
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    # 202: waiting for admission; 503: the database out of reach (on a
                    # shared machine, out of connections). Asked again as the page does.
                    if r.status_code not in (202, 503):
                        break
                    await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                r.raise_for_status()
                body = r.json()
                refs: dict[str, list[str]] = {}
                for item in body["items"]:
                    refs.setdefault(item["kind"], []).append(item["ref"])
                out.append((token, body["id"], refs))

        await asyncio.gather(*(one(t) for t in tokens))
    return out


async def paced(
    base: str, candidates: list[tuple[str, str, list[str]]], interval: float, duration: float
) -> dict[str, float]:
    """Each candidate saves every ``interval`` seconds. Candidates share a client in groups
    of 50: one httpx pool with thousands of connections measures the pool, not the server."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + duration
    groups = [candidates[i : i + 50] for i in range(0, len(candidates), 50)]

    async def candidate(
        client: httpx.AsyncClient, token: str, attempt_id: str, refs: list[str], rng: random.Random
    ) -> None:
        nonlocal errors
        headers = {"Authorization": f"Bearer {token}"}
        seq = 0
        await asyncio.sleep(rng.uniform(0, interval))
        while time.monotonic() < stop_at:
            seq += 1
            started = time.perf_counter()
            try:
                r = await client.put(
                    f"/api/v1/attempts/{attempt_id}/responses/{rng.choice(refs)}",
                    json={"choices": [rng.choice("abcd")], "seq": seq},
                    headers=headers,
                )
                if r.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(interval)

    async def group(members: list[tuple[str, str, list[str]]], offset: int) -> None:
        limits = httpx.Limits(max_connections=len(members))
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            await asyncio.gather(
                *(
                    candidate(client, t, a, refs, random.Random(offset + n))
                    for n, (t, a, refs) in enumerate(members)
                )
            )

    await asyncio.gather(*(group(g, i * 50) for i, g in enumerate(groups)))
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies) if latencies else float("nan"),
        "rate_per_s": len(latencies) / duration,
    }


def wrk_loop(
    base: str, targets: list[tuple[str, str]], connections: int, seconds: float
) -> dict[str, float]:
    """Closed-loop throughput with wrk (C): a Python client tops out near 1,000 requests a
    second on one core, below what the bare endpoint serves, which would flatter the ratio."""
    targets_file = ROOT / "bench" / "results" / "wrk-targets.txt"
    targets_file.write_text("".join(f"{path} {token}\n" for path, token in targets))
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed for the throughput phase: apt-get install wrk")
    out = subprocess.run(  # noqa: S603 - wrk with our own arguments
        [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            "-s",
            str(ROOT / "bench" / "autosave.lua"),
            base,
        ],
        env={**os.environ, "WRK_TARGETS": str(targets_file)},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--interval", type=float, default=15.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    add_database_arguments(parser, "assay_bench")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--bank", type=Path, default=ROOT / "question_bank")
    args = parser.parse_args()

    pg_url, server_url = await fresh_database(args)
    # The server's development signing keys go to a scratch folder, not the checkout.
    keys_dir = Path(tempfile.mkdtemp(prefix="assay-bench-keys-"))
    env = {
        "ASSAY_DATABASE_URL": server_url,
        "ASSAY_SECRET_KEY": SECRET,
        "ASSAY_LOG_LEVEL": "WARNING",
        "ASSAY_QUESTION_BANK": str(args.bank),
        "ASSAY_SIGNING_KEYS_FILE": str(keys_dir / "signing-keys.json"),
    }
    app_port, bare_port = args.port, args.port + 1
    servers = [
        start_server(["-m", "app.cli", "serve", "--host", "127.0.0.1"], env, app_port),
        start_server(
            [
                "-m",
                "uvicorn",
                "bench.bare_app:app",
                "--host",
                "127.0.0.1",
                "--log-level",
                "warning",
                "--no-access-log",
                "--loop",
                SERVE_LOOP,
            ],
            env,
            bare_port,
        ),
    ]
    try:
        app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        await wait_ready(f"{app_base}/readyz")
        user_ids = await create_candidates(pg_url, args.candidates)
        tokens = TokenService(SECRET, SystemClock())
        minted = [tokens.issue(u, "access", timedelta(hours=2), sid=u)[0] for u in user_ids]
        t0 = time.perf_counter()
        started = await start_attempts(app_base, minted, concurrency=16)
        start_seconds = time.perf_counter() - t0
        attempts = [(token, attempt_id, refs["mcq"]) for token, attempt_id, refs in started]

        paced_result = await paced(app_base, attempts, args.interval, args.duration)
        app_paths = [
            (f"/api/v1/attempts/{a}/responses/{ref}", t)
            for t, a, refs in attempts
            for ref in refs[:5]
        ]
        bare_paths = [
            (f"/bare/{a}/responses/{ref}", t) for t, a, refs in attempts for ref in refs[:5]
        ]
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        autosave = wrk_loop(app_base, app_paths, args.concurrency, args.seconds)
        bare = wrk_loop(bare_base, bare_paths, args.concurrency, args.seconds)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        shutil.rmtree(keys_dir, ignore_errors=True)

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "server_database": "unix socket" if "?host=" in server_url else "tcp 127.0.0.1",
        "attempts_started": len(attempts),
        "attempt_start_seconds": round(start_seconds, 1),
        "paced": paced_result,
        "throughput_autosave": autosave,
        "throughput_bare": bare,
        "ratio": autosave["rps"] / bare["rps"],
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "autosave.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    p = paced_result
    print(
        f"\npaced: {args.candidates} candidates every {args.interval:g}s for {args.duration:g}s: "
        f"{p['requests']} saves, {p['errors']} errors, p50 {p['p50_ms']:.1f} ms, p99 {p['p99_ms']:.1f} ms"
    )
    print(
        f"throughput ({args.concurrency} clients, {args.seconds:g}s each): autosave {autosave['rps']:.0f} req/s "
        f"(p99 {autosave['p99_ms']:.1f} ms), bare {bare['rps']:.0f} req/s -> ratio {report['ratio']:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
