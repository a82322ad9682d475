"""Synchronized-start benchmark, through scheduled sittings.

Starts `assay serve` on PostgreSQL (a fresh database, as bench/autosave.py does) on
127.0.0.1, with ``--workers`` serving processes; an admin account and N candidates per
cohort (accounts and sessions written by SQL in bulk, tokens minted here: signing them
in would measure argon2). Then, cohort by cohort, each against the history the earlier
ones left:

1. an admin schedules a sitting of the exam (`POST /api/v1/sittings`, capacity N) that
   starts when the check-in window has passed (plus a margin);
2. check-in, spread over the window as a real one is: each candidate arrives at a random
   moment of it (seeded) and checks in (`POST /sittings/{id}/check-in`: the form drawn
   and the attempt created, clock not running); a 202 (admission) is asked again after
   its Retry-After; latency from the arrival, errors;
3. the start: at the sitting's start every candidate opens the exam at once, as the exam
   page does (`GET /attempts/{id}`, which must say `in_progress`, then the first item);
   all-started time (from the start to the last first item), each candidate's time to
   started (p50/p99, waits for a client connection included), errors.

The client stands for a proxy in front of the service: at most ``--connections``
keep-alive connections, each a lean HTTP/1.1 loop (an HTTP library's own cost per
request would be a good part of the figure on a machine this small); every request has
a timeout. With ``--sign-in-window S`` each cohort's candidates first sign in with their
password (`POST /auth/token`, one argon2 verify each on the server's hashing threads),
arriving over S seconds (0: all at once, a sign-in storm), and check in with the token
they got; sign-in latency and errors are reported apart. Optionally, after cohort 1, H attempt items of history are written with SQL,
and after the cohorts M more checked-in attempts (copies of a real check-in's form)
start at once ("seeded start"). Only 127.0.0.1 is contacted. Usage:
    python bench/start_storm.py [--candidates 1000] [--cohorts 5] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.clock import SystemClock  # noqa: E402
from app.core.security import TokenService, hash_password  # noqa: E402
from bench.autosave import (  # noqa: E402
    SECRET,
    add_database_arguments,
    fresh_database,
    percentile,
    wait_ready,
)

EXAM = "mlops-foundation"
HOST = "127.0.0.1"
PASSWORD = "bench password 123"


async def create_users(
    pg_url: str, count: int, label: str, role: str = "candidate"
) -> list[uuid.UUID]:
    """Accounts with one sign-in each, inserted directly (one argon2 hash shared):
    registering them through the API would measure argon2, not the start."""
    conn = await asyncpg.connect(pg_url)
    password_hash = hash_password(PASSWORD)
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


class Answer:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> dict[str, object]:
        value: dict[str, object] = json.loads(self.body)
        return value


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, one request at a time."""

    def __init__(self, port: int, limit_seconds: float) -> None:
        self.port, self.limit_seconds = port, limit_seconds
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self,
        method: str,
        path: str,
        token: str,
        body: bytes = b"",
        content_type: str = "application/json",
    ) -> Answer:
        # A kept-alive connection the server closed while it was idle (uvicorn after 5 s)
        # fails before any answer: asked again once on a new one, as HTTP clients do.
        reused = self._streams is not None
        try:
            return await asyncio.wait_for(
                self._exchange(method, path, token, body, content_type), self.limit_seconds
            )
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self.close()
            if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                raise
        except BaseException:
            self.close()  # whatever was half read is gone with it
            raise
        try:
            return await asyncio.wait_for(
                self._exchange(method, path, token, body, content_type), self.limit_seconds
            )
        except BaseException:
            self.close()
            raise

    async def _exchange(
        self, method: str, path: str, token: str, body: bytes, content_type: str
    ) -> Answer:
        if self._streams is None:
            self._streams = await asyncio.open_connection(HOST, self.port)
        reader, writer = self._streams
        kind = f"Content-Type: {content_type}\r\n" if body else ""
        bearer = f"Authorization: Bearer {token}\r\n" if token else ""
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n{bearer}"
            f"{kind}Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status = int((await reader.readuntil(b"\r\n")).split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            data = b""
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                data += (await reader.readexactly(size + 2))[:-2]
            await reader.readuntil(b"\r\n")
        else:
            data = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            self.close()
        return Answer(status, headers, data)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


class Figures:
    """Latencies and errors of one storm."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.waited = 0  # 202 answers (admission), asked again
        self.late = 0  # check-ins after the sitting's start: latecomers

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
            "per_s": round(count / elapsed, 1) if elapsed > 0 else None,
            "p50_ms": round(percentile(self.latencies, 0.50), 1),
            "p99_ms": round(percentile(self.latencies, 0.99), 1),
            "max_ms": round(max(self.latencies, default=0.0), 1),
        }


Job = Callable[[Connection], Awaitable[None]]


@dataclass(frozen=True)
class Target:
    """The server, and how the client stands in for a proxy in front of it."""

    port: int
    connections: int
    request_seconds: float

    def connect(self) -> Connection:
        return Connection(self.port, self.request_seconds)


async def run_jobs(target: Target, jobs: asyncio.Queue[Job | None]) -> None:
    """``connections`` workers, each on its own connection, take jobs until told to stop
    (one None each): the bound a proxy puts on what is open at a time."""

    async def worker() -> None:
        connection = target.connect()
        try:
            while (job := await jobs.get()) is not None:
                await job(connection)
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(target.connections)))


def mint_tokens(ids: list[uuid.UUID]) -> list[str]:
    tokens = TokenService(SECRET, SystemClock())
    return [tokens.issue(str(u), "access", timedelta(hours=4), sid=str(u))[0] for u in ids]


async def schedule(
    connection: Connection, admin_token: str, starts_at: datetime, capacity: int
) -> str:
    body = {
        "exam_code": EXAM,
        "starts_at": starts_at.isoformat(),
        "check_in_opens_at": datetime.now(UTC).isoformat(),
        "capacity": capacity,
    }
    r = await connection.request("POST", "/api/v1/sittings", admin_token, json.dumps(body).encode())
    if r.status != 201:
        raise RuntimeError(f"scheduling failed: {r.status} {r.body[:300]!r}")
    return str(r.json()["id"])


async def sign_in_window(
    target: Target, emails: list[str], window: float, seed: int
) -> tuple[dict[str, object], list[str]]:
    """Each candidate arrives at a random moment of the window and signs in with their
    password (`POST /auth/token`: one argon2 verify on the server's hashing threads);
    latency from their arrival. Returns the figures and the tokens, in ``emails``' order
    ("" where a sign-in failed)."""
    figures = Figures()
    tokens = [""] * len(emails)
    rng = random.Random(seed)
    arrivals = sorted((rng.uniform(0, window), n) for n in range(len(emails)))
    jobs: asyncio.Queue[Job | None] = asyncio.Queue()
    t0 = time.perf_counter()

    def sign_in(n: int, arrived: float) -> Job:
        async def job(connection: Connection) -> None:
            form = urlencode({"username": emails[n], "password": PASSWORD}).encode()
            try:
                r = await connection.request(
                    "POST", "/api/v1/auth/token", "", form, "application/x-www-form-urlencoded"
                )
                if r.status == 503 and b"sign_in_busy" in r.body:
                    # Shed by the hashing line: asked again after Retry-After, as the
                    # sign-in page does; the latency runs on from the arrival.
                    figures.waited += 1
                    delay = float(r.headers.get("retry-after", "1"))
                    asyncio.get_running_loop().call_later(delay, jobs.put_nowait, job)
                    return
                if r.status == 200:
                    tokens[n] = str(r.json()["access_token"])
                else:
                    figures.error(str(r.status))
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                figures.error(type(exc).__name__)
            figures.latencies.append((time.perf_counter() - arrived) * 1000)
            if len(figures.latencies) == len(emails):
                for _ in range(target.connections):
                    jobs.put_nowait(None)

        return job

    async def arrive() -> None:
        for offset, n in arrivals:
            await asyncio.sleep(max(0.0, t0 + offset - time.perf_counter()))
            jobs.put_nowait(sign_in(n, time.perf_counter()))

    await asyncio.gather(arrive(), run_jobs(target, jobs))
    return figures.summary(len(emails), time.perf_counter() - t0), tokens


async def check_in_window(
    target: Target,
    sitting_id: str,
    tokens: list[str],
    window: float,
    seed: int,
) -> tuple[dict[str, object], dict[str, str]]:
    """Each candidate arrives at a random moment of the window and checks in; latency
    from their arrival (a wait for a free connection counts). Returns the figures and
    each token's attempt."""
    figures = Figures()
    attempts: dict[str, str] = {}
    rng = random.Random(seed)
    arrivals = sorted((rng.uniform(0, window), t) for t in tokens)
    jobs: asyncio.Queue[Job | None] = asyncio.Queue()
    t0 = time.perf_counter()

    def check_in(token: str, arrived: float) -> Job:
        async def job(connection: Connection) -> None:
            try:
                r = await connection.request(
                    "POST", f"/api/v1/sittings/{sitting_id}/check-in", token
                )
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                figures.error(type(exc).__name__)
                figures.latencies.append((time.perf_counter() - arrived) * 1000)
                return
            if r.status == 202:  # admission: asked again after Retry-After
                figures.waited += 1
                delay = float(r.headers.get("retry-after", "1"))
                asyncio.get_running_loop().call_later(delay, jobs.put_nowait, job)
                return
            if r.status == 201:
                attempts[token] = str(r.json()["id"])
                if r.json()["status"] != "checked_in":
                    figures.late += 1
            else:
                figures.error(str(r.status))
            figures.latencies.append((time.perf_counter() - arrived) * 1000)
            if len(figures.latencies) == len(tokens):
                for _ in range(target.connections):
                    jobs.put_nowait(None)

        return job

    async def arrive() -> None:
        for offset, token in arrivals:
            await asyncio.sleep(max(0.0, t0 + offset - time.perf_counter()))
            jobs.put_nowait(check_in(token, time.perf_counter()))

    await asyncio.gather(arrive(), run_jobs(target, jobs))
    return figures.summary(len(tokens), time.perf_counter() - t0), attempts


async def start_storm(
    target: Target,
    attempts: dict[str, str],
    starts_at: datetime,
) -> dict[str, object]:
    """At the sitting's start every candidate opens the exam: the attempt's state (it must
    be running) and its first item. Timed from the start itself."""
    figures = Figures()
    await asyncio.sleep(max(0.0, (starts_at - datetime.now(UTC)).total_seconds()) + 0.05)
    # Timed from the start (the 50 ms after it count), or from now if check-ins ran late.
    fired = max(starts_at, datetime.now(UTC))
    t0 = time.perf_counter() - (datetime.now(UTC) - fired).total_seconds()
    jobs: asyncio.Queue[Job | None] = asyncio.Queue()

    def open_exam(token: str, attempt_id: str) -> Job:
        async def job(connection: Connection) -> None:
            try:
                state = await connection.request("GET", f"/api/v1/attempts/{attempt_id}", token)
                if state.status != 200 or state.json()["status"] != "in_progress":
                    figures.error(f"state {state.status} {state.body[:60]!r}")
                    return
                item = await connection.request(
                    "GET", f"/api/v1/attempts/{attempt_id}/items/q1", token
                )
                if item.status != 200:
                    figures.error(f"item {item.status}")
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                figures.error(type(exc).__name__)
            finally:
                figures.latencies.append((time.perf_counter() - t0) * 1000)

        return job

    for token, attempt_id in attempts.items():
        jobs.put_nowait(open_exam(token, attempt_id))
    for _ in range(target.connections):
        jobs.put_nowait(None)
    await run_jobs(target, jobs)
    summary = figures.summary(len(attempts), time.perf_counter() - t0)
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


def serve(args: argparse.Namespace, env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    command = ["-m", "app.cli", "serve", "--host", HOST, "--port", str(args.port)]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, *command, "--workers", str(args.workers)],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )


def pool_sizes(budget: int, workers: int) -> dict[str, str]:
    """Each serving process's share of the database connections the run may use: a
    third for the hot paths' pool, the rest for SQLAlchemy's (less its overflow of 10
    and ~6 for the change feeds and the job engine)."""
    share = budget // workers
    driver = max(4, share // 3)
    return {
        "ASSAY_DATABASE_DRIVER_POOL_SIZE": str(driver),
        "ASSAY_DATABASE_POOL_SIZE": str(max(4, share - driver - 16)),
    }


def target_of(args: argparse.Namespace) -> Target:
    return Target(args.port, args.connections, args.request_seconds)


async def seeded_start(
    args: argparse.Namespace, pg_url: str, admin_token: str, template: str
) -> dict[str, object]:
    user_ids = await create_users(pg_url, args.seeded_start, "seeded")
    tokens = mint_tokens(user_ids)
    starts_at = (datetime.now(UTC) + timedelta(seconds=30)).replace(microsecond=0)
    connection = target_of(args).connect()
    sitting_id = await schedule(connection, admin_token, starts_at, args.seeded_start)
    connection.close()
    attempt_ids = await seed_checked_in(pg_url, sitting_id, template, user_ids)
    start = await start_storm(
        target_of(args), dict(zip(tokens, attempt_ids, strict=True)), starts_at
    )
    return {"candidates": args.seeded_start, "start": start}


async def cohort(
    args: argparse.Namespace, number: int, admin_token: str, accounts: list[uuid.UUID]
) -> dict[str, object]:
    sign_in: dict[str, object] | None = None
    if args.sign_in_window is None:
        tokens = mint_tokens(accounts)
    else:
        emails = [f"cohort{number}-{n}@example.org" for n in range(len(accounts))]
        # Each person signs in from their own browser: no proxy bound on connections.
        browsers = Target(args.port, args.sign_in_connections or len(emails), args.request_seconds)
        sign_in, signed = await sign_in_window(
            browsers, emails, args.sign_in_window, seed=1000 + number
        )
        tokens = [t for t in signed if t]
    # The start once the window has passed, with a margin for the last check-ins.
    lead = args.check_in_window + args.margin
    starts_at = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0)
    connection = target_of(args).connect()
    sitting_id = await schedule(connection, admin_token, starts_at, len(tokens))
    connection.close()
    check_in, attempts = await check_in_window(
        target_of(args), sitting_id, tokens, args.check_in_window, seed=number
    )
    start = await start_storm(target_of(args), attempts, starts_at)
    return {
        **({"sign_in": sign_in} if sign_in is not None else {}),
        "check_in": check_in,
        "start": start,
        "template": next(iter(attempts.values()), ""),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--cohorts", type=int, default=5)
    parser.add_argument(
        "--check-in-window",
        type=float,
        default=None,
        help="seconds over which a cohort's check-ins arrive (default: N/40, at least 20)",
    )
    parser.add_argument(
        "--margin", type=float, default=10, help="seconds from the window's end to the start"
    )
    parser.add_argument(
        "--connections", type=int, default=32, help="client connections open at a time"
    )
    parser.add_argument(
        "--request-seconds", type=float, default=60, help="each request's time limit"
    )
    parser.add_argument("--workers", type=int, default=1, help="`assay serve --workers`")
    parser.add_argument(
        "--db-connections",
        type=int,
        default=70,
        help="PostgreSQL connections the server's processes may take together",
    )
    parser.add_argument(
        "--sign-in-window",
        type=float,
        default=None,
        help="each cohort's candidates first sign in with their password, arriving over "
        "this many seconds (0: all at once, a sign-in storm); default: tokens minted here",
    )
    parser.add_argument(
        "--sign-in-connections",
        type=int,
        default=0,
        help="client connections for the sign-ins (default: one per candidate)",
    )
    parser.add_argument("--history-items", type=int, default=0)
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
    if args.check_in_window is None:
        args.check_in_window = max(20.0, args.candidates / 40)

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
        **pool_sizes(args.db_connections, args.workers),
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    # The server's errors (a 5xx says why there), kept beside the figures.
    server_log = (out_dir / "start_storm-server.log").open("wb")
    server = serve(args, env, server_log)

    results: list[dict[str, object]] = []
    history: dict[str, float] = {}
    seeded: dict[str, object] = {}
    template = ""
    try:
        await wait_ready(f"http://{HOST}:{args.port}/readyz")
        admin_token = mint_tokens(await create_users(pg_url, 1, "admin", role="admin"))[0]
        cohorts = [
            await create_users(pg_url, args.candidates, f"cohort{n + 1}")
            for n in range(args.cohorts)
        ]
        for n, cohort_accounts in enumerate(cohorts):
            if n == 1 and args.history_items:
                history = await seed_history(pg_url, args.history_items, 20)
            result = await cohort(args, n + 1, admin_token, cohort_accounts)
            template = str(result.pop("template")) or template
            result["load_average"] = [round(x, 2) for x in os.getloadavg()]
            results.append(result)
            print(f"cohort {n + 1}: {json.dumps(result)}", flush=True)
        if args.seeded_start and template:
            seeded = await seeded_start(args, pg_url, admin_token, template)
            seeded["load_average"] = [round(x, 2) for x in os.getloadavg()]
            print(f"seeded start: {json.dumps(seeded)}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)
        server_log.close()
        scratch.cleanup()

    def ratio(phase: str, figure: str) -> float | None:
        first = results[0][phase][figure]  # type: ignore[index]
        last = results[-1][phase][figure]  # type: ignore[index]
        return round(float(last) / float(first), 3) if first and last else None

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": os.getloadavg(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "server_database": "unix socket" if "?host=" in server_url else "tcp 127.0.0.1",
        "history": history,
        "cohorts": results,
        "seeded_start": seeded,
        "start_rate_ratio_last_to_first": ratio("start", "per_s"),
        "check_in_p50_ratio_last_to_first": ratio("check_in", "p50_ms"),
    }
    (out_dir / "start_storm.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
