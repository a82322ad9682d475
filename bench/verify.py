"""Public verification benchmark.

Starts `assay serve` on PostgreSQL and a bare endpoint (``bare`` below: the same route
shape, ID normalisation and response model, no database, no cache, no rate limit), each
as its own single-worker uvicorn process on 127.0.0.1, inserts certificates, then runs
wrk (closed loop, C connections, T seconds) against:

1. GET /api/v1/verify/{id} as shipped: the lookup cache on, every change pushed to it by
   PostgreSQL, so entries live ASSAY_VERIFY_CACHE_PUSHED_SECONDS (steady state: warmed
   with every ID first);
2. the bare endpoint;
3. GET /api/v1/verify/{id} with the cache off (every request a database round trip).

A quarter of the requests carry ``?last_name=`` (the full record). Rate limits are raised
for the run: one wrk process is one client. Only 127.0.0.1 is contacted. Usage:
    python bench/verify.py [--certificates 5000] [--concurrency 32] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.certificates import ids  # noqa: E402
from app.certificates.exceptions import CertificateNotFound  # noqa: E402
from app.certificates.schemas import VerificationOut  # noqa: E402
from app.cli import SERVE_LOOP  # noqa: E402
from app.main import TELEMETRY  # noqa: E402
from bench.autosave import (  # noqa: E402
    add_database_arguments,
    fresh_database,
    start_server,
    wait_ready,
)

SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"

bare = FastAPI(telemetry=TELEMETRY)  # configured as the real app is
_BARE_RECORD = {
    "record": "minimal",
    "status": "active",
    "holder_name": None,
    "exam_code": "mlops-foundation",
    "title": "MLOps Foundation",
    "level": "foundation",
    "issued_on": date(2026, 3, 2),
    "expires_on": date(2029, 3, 2),
    "superseded_by": None,
    "renewal_of": None,
    "revocation_reason": None,
}


@bare.get("/bare/verify/{certificate_id}", response_model=VerificationOut)
async def bare_verify(certificate_id: str, last_name: str | None = None) -> VerificationOut:
    public_id = ids.normalise(certificate_id)
    if public_id is None:
        raise CertificateNotFound()
    return VerificationOut(certificate_id=ids.display(public_id), **_BARE_RECORD)


LUA = """
local paths = {}
for line in io.lines(os.getenv("WRK_TARGETS")) do paths[#paths + 1] = line end
local index = 0
request = function()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"rps":%.1f,"p50_ms":%.2f,"p99_ms":%.2f,"non2xx":%d,"socket_errors":%d}\\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


async def insert_certificates(pg_url: str, count: int) -> list[tuple[str, str]]:
    """(public ID, last name) for ``count`` certificates, inserted directly."""
    conn = await asyncpg.connect(pg_url)
    now = datetime.now(UTC).replace(tzinfo=None)
    users, certificates, out = [], [], []
    indices = iter(secrets.SystemRandom().sample(range(131_072), count))
    for n in range(count):
        user_id = uuid.uuid4()
        last = f"Holder{n}"
        users.append((user_id, f"verify-{n}@example.org", f"Bench {last}", "x", "candidate", now))
        public_id = ids.new_certificate_id()
        certificates.append(
            (
                uuid.uuid4(),
                public_id,
                user_id,
                "mlops-foundation",
                "mlops",
                "MLOps Foundation",
                "foundation",
                f"Bench {last}",
                "00" * 16,
                "sha256$" + "0" * 64,
                date(2026, 3, 2),
                date(2029, 3, 2),
                next(indices),
                now,
            )
        )
        out.append((public_id, last))
    try:
        await conn.copy_records_to_table(
            "users",
            records=users,
            columns=["id", "email", "full_name", "password_hash", "role", "created_at"],
        )
        await conn.copy_records_to_table(
            "certificates",
            records=certificates,
            columns=[
                "id",
                "public_id",
                "user_id",
                "exam_code",
                "track",
                "title",
                "level",
                "holder_name",
                "holder_salt",
                "holder_identity_hash",
                "issued_on",
                "expires_on",
                "status_index",
                "created_at",
            ],
        )
    finally:
        await conn.close()
    return out


def wrk_loop(base: str, paths: list[str], connections: int, seconds: float) -> dict[str, float]:
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    targets, script = results / "verify-targets.txt", results / "verify.lua"
    targets.write_text("".join(f"{p}\n" for p in paths))
    script.write_text(LUA)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    out = subprocess.run(  # noqa: S603 - wrk with our own arguments
        [wrk, "-t1", f"-c{connections}", f"-d{int(seconds)}s", "-s", str(script), base],
        env={**os.environ, "WRK_TARGETS": str(targets)},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def paths_for(prefix: str, certificates: list[tuple[str, str]]) -> list[str]:
    out = []
    for n, (public_id, last) in enumerate(certificates):
        shown = ids.display(public_id)
        out.append(f"{prefix}/{shown}?last_name={last}" if n % 4 == 0 else f"{prefix}/{shown}")
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--certificates", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    add_database_arguments(parser, "assay_bench_verify")
    parser.add_argument("--port", type=int, default=18180)
    parser.add_argument("--bank", type=Path, default=ROOT / "question_bank")
    args = parser.parse_args()

    pg_url, server_url = await fresh_database(args)
    keys_dir = Path(tempfile.mkdtemp(prefix="assay-bench-keys-"))
    env = {
        "ASSAY_DATABASE_URL": server_url,
        "ASSAY_SECRET_KEY": SECRET,
        "ASSAY_LOG_LEVEL": "WARNING",
        "ASSAY_QUESTION_BANK": str(args.bank),
        "ASSAY_SIGNING_KEYS_FILE": str(keys_dir / "signing-keys.json"),
        "ASSAY_VERIFY_PER_MINUTE": str(10**9),
        "ASSAY_VERIFY_MISSES_PER_HOUR": str(10**9),
    }
    serve = ["-m", "app.cli", "serve", "--host", "127.0.0.1"]
    bare_cmd = [
        "-m",
        "uvicorn",
        "bench.verify:bare",
        "--host",
        "127.0.0.1",
        "--log-level",
        "warning",
        "--no-access-log",
        "--loop",
        SERVE_LOOP,
    ]
    app_port, bare_port, nocache_port = args.port, args.port + 1, args.port + 2
    results: dict[str, dict[str, float]] = {}
    servers = [start_server(serve, env, app_port), start_server(bare_cmd, env, bare_port)]
    try:
        await wait_ready(f"http://127.0.0.1:{app_port}/readyz")
        await wait_ready(f"http://127.0.0.1:{bare_port}/docs")
        certificates = await insert_certificates(pg_url, args.certificates)
        app_paths = paths_for("/api/v1/verify", certificates)
        bare_paths = paths_for("/bare/verify", certificates)
        app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        wrk_loop(app_base, app_paths, args.concurrency, 3)  # warm both up
        wrk_loop(bare_base, bare_paths, args.concurrency, 3)
        results["verify"] = wrk_loop(app_base, app_paths, args.concurrency, args.seconds)
        results["bare"] = wrk_loop(bare_base, bare_paths, args.concurrency, args.seconds)
        servers[0].terminate()
        servers[0].wait(timeout=30)
        servers[0] = start_server(serve, {**env, "ASSAY_VERIFY_CACHE_SECONDS": "0"}, nocache_port)
        nocache_base = f"http://127.0.0.1:{nocache_port}"
        await wait_ready(f"{nocache_base}/readyz")
        wrk_loop(nocache_base, app_paths[:500], args.concurrency, 2)
        results["verify_no_cache"] = wrk_loop(
            nocache_base, app_paths, args.concurrency, args.seconds
        )
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
        **results,
        "ratio": results["verify"]["rps"] / results["bare"]["rps"],
        "ratio_no_cache": results["verify_no_cache"]["rps"] / results["bare"]["rps"],
    }
    (ROOT / "bench" / "results" / "verify.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    v, b, n = results["verify"], results["bare"], results["verify_no_cache"]
    print(
        f"\n{args.concurrency} clients, {args.seconds:g}s each, {args.certificates} certificates: "
        f"verify {v['rps']:.0f} req/s (p99 {v['p99_ms']:.1f} ms), "
        f"bare {b['rps']:.0f} req/s (p99 {b['p99_ms']:.1f} ms) -> ratio {report['ratio']:.2f}; "
        f"without the cache {n['rps']:.0f} req/s (p99 {n['p99_ms']:.1f} ms) "
        f"-> ratio {report['ratio_no_cache']:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
