"""Helpers shared by the benchmarks that run jobs: the bench's copy of the bank, `assay
worker` processes, and public-check runs asked for at a steady rate and followed to
their result (bench/mixed.py, bench/grading.py, bench/regrade_interference.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import yaml

from bench.autosave import SECRET, percentile

ROOT = Path(__file__).resolve().parents[1]


def server_env(
    server_url: str, bank: Path, scenarios: Path, keys_dir: Path, **settings: str
) -> dict[str, str]:
    """The environment of a benchmark's `assay serve` and `assay worker` processes: its
    database, the bench's bank and scenarios, signing keys in a scratch folder, quiet
    logs; ``settings`` adds or overrides ASSAY_* variables."""
    return {
        "ASSAY_DATABASE_URL": server_url,
        "ASSAY_SECRET_KEY": SECRET,
        "ASSAY_LOG_LEVEL": "WARNING",
        "ASSAY_QUESTION_BANK": str(bank),
        "ASSAY_SCENARIOS": str(scenarios),
        "ASSAY_SIGNING_KEYS_FILE": str(keys_dir / "signing-keys.json"),
        **settings,
    }


def bench_bank(source: Path, exam: str, into: Path) -> Path:
    """A copy of the bank in which ``exam`` has no prerequisite (the candidates are new
    accounts); everything else as it is."""
    bank = into / "question_bank"
    shutil.copytree(source, bank)
    blueprint = bank / "exams" / f"{exam}.yaml"
    spec = yaml.safe_load(blueprint.read_text())
    spec["prerequisites"] = []
    blueprint.write_text(yaml.safe_dump(spec, sort_keys=False))
    return bank


def start_worker(
    env: dict[str, str], concurrency: int, queues: str | None = None
) -> subprocess.Popen[bytes]:
    """One `assay worker` process: every queue, or only ``queues`` (comma-separated)."""
    command = [sys.executable, "-m", "app.cli", "worker", "--concurrency", str(concurrency)]
    if queues:
        command += ["--queues", queues]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command,
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_workers(pg_url: str, count: int, within_seconds: float = 120) -> None:
    """Until ``count`` workers are up (their heartbeat rows)."""
    deadline = time.monotonic() + within_seconds
    conn = await asyncpg.connect(pg_url)
    try:
        while time.monotonic() < deadline:
            if await conn.fetchval("SELECT count(*) FROM procrastinate_workers") >= count:
                return
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    raise RuntimeError("the workers did not start")


@dataclass(frozen=True)
class RunSample:
    """One public-check run: when it was asked for (``time.monotonic()``), how long the
    request took, and the latency from the request to its result (None: no result)."""

    asked_at: float
    request_ms: float
    status: str  # done | error | refused (not 202) | unfinished
    seconds: float | None
    run_id: str | None = None


async def public_runs(
    base: str,
    candidates: list[tuple[str, str, dict[str, list[str]]]],
    per_minute: float,
    duration: float,
    settle_seconds: float,
    *,
    poll_seconds: float = 0.2,
    stop: asyncio.Event | None = None,
) -> list[RunSample]:
    """Asks for a public-check run every 60/``per_minute`` seconds, on a fixed schedule
    (the next candidate's next scenario item, round robin, so no item runs out of its
    budget), for ``duration`` seconds or until ``stop`` is set, and polls each every
    ``poll_seconds`` until it is done or failed (the exam page reads the same run)."""
    askers = [(t, a, refs["scenario"]) for t, a, refs in candidates if refs.get("scenario")]
    every = 60.0 / per_minute
    samples: list[RunSample] = []
    begun = time.monotonic()
    give_up_at = begun + duration + settle_seconds

    async def one(client: httpx.AsyncClient, token: str, attempt_id: str, ref: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/api/v1/attempts/{attempt_id}/scenarios/{ref}/runs"
        asked_at, started = time.monotonic(), time.perf_counter()
        try:
            r = await client.post(path, headers=headers)
        except httpx.HTTPError:
            samples.append(RunSample(asked_at, float("nan"), "refused", None))
            return
        request_ms = (time.perf_counter() - started) * 1000
        if r.status_code != 202:
            samples.append(RunSample(asked_at, request_ms, "refused", None))
            return
        run_id = r.json()["run_id"]
        while time.monotonic() < give_up_at:
            await asyncio.sleep(poll_seconds)
            try:
                status = (await client.get(f"{path}/{run_id}", headers=headers)).json()["status"]
            except (httpx.HTTPError, ValueError, KeyError):
                continue  # asked again at the next poll, as the page does
            if status in ("done", "error"):
                seconds = time.perf_counter() - started
                samples.append(RunSample(asked_at, request_ms, status, seconds, run_id))
                return
        samples.append(RunSample(asked_at, request_ms, "unfinished", None, run_id))

    tasks: list[asyncio.Task[None]] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        n = 0
        while time.monotonic() < begun + duration and not (stop is not None and stop.is_set()):
            token, attempt_id, refs = askers[n % len(askers)]
            ref = refs[(n // len(askers)) % len(refs)]
            tasks.append(asyncio.create_task(one(client, token, attempt_id, ref)))
            n += 1
            await asyncio.sleep(max(0.0, begun + n * every - time.monotonic()))
        await asyncio.gather(*tasks)
    return sorted(samples, key=lambda s: s.asked_at)


def run_summary(samples: list[RunSample]) -> dict[str, float]:
    """Counts by outcome, and the latency from the request to the result of the runs
    that have one (p50, p99, max, in seconds)."""
    latencies = [s.seconds for s in samples if s.seconds is not None]
    requests = [s.request_ms for s in samples if s.request_ms == s.request_ms]
    outcome = {"asked": len(samples), "done": 0, "error": 0, "refused": 0, "unfinished": 0}
    for s in samples:
        outcome[s.status] += 1
    return {
        **outcome,
        "request_p50_ms": percentile(requests, 0.50),
        "request_p99_ms": percentile(requests, 0.99),
        "latency_p50_s": percentile(latencies, 0.50),
        "latency_p99_s": percentile(latencies, 0.99),
        "latency_max_s": max(latencies) if latencies else float("nan"),
    }
