"""What the shared admission line costs (app/attempts/shared_admission.py): asks and
leaves a second through `SharedLine` on PostgreSQL, from K concurrent askers, each ask
for a new candidate, each admitted start leaving at once (a waiting ask asks again). Every
start of every API process pays one ask and one leave.

Then a deep line: ``--deep`` candidates waiting behind ``capacity`` starts that never
leave, each asking again (the cost of an ask grows with the places ahead of it: the
position is counted).

Creates a database of its own on 127.0.0.1 (trust auth), migrates it, runs, drops it.
Usage:
    python bench/admission_line.py [--askers 1,16,64] [--admissions 4000] [--capacity 16]
                                   [--deep 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.attempts.admission import Admitted  # noqa: E402
from app.attempts.shared_admission import SharedLine  # noqa: E402
from app.core.db import create_engine, dispose_engine, driver_pool  # noqa: E402
from app.core.migrate import upgrade_to_head  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"


async def _run(line: SharedLine, askers: int, admissions: int) -> dict[str, float]:
    asks = 0

    async def asker(count: int) -> None:
        nonlocal asks
        for _ in range(count):
            key = uuid.uuid4()
            while True:
                asks += 1
                entry = await line.enter(key, datetime.now(UTC))
                if isinstance(entry, Admitted):
                    await line.leave(entry, datetime.now(UTC))
                    break

    started = time.perf_counter()
    await asyncio.gather(*(asker(admissions // askers) for _ in range(askers)))
    took = time.perf_counter() - started
    done = admissions // askers * askers
    return {
        "admissions": done,
        "asks": asks,
        "seconds": round(took, 2),
        "admissions_per_second": round(done / took),
    }


async def _deep(line: SharedLine, waiting: int) -> dict[str, float]:
    now = datetime.now(UTC)
    for _ in range(line.capacity):
        assert isinstance(await line.enter(uuid.uuid4(), now), Admitted)
    keys = [uuid.uuid4() for _ in range(waiting)]
    started = time.perf_counter()
    for key in keys:
        await line.enter(key, now)
    filled = time.perf_counter() - started
    sample = keys[:: max(1, waiting // 2000)][:2000]

    async def asker(part: list[uuid.UUID]) -> None:
        for key in part:
            await line.enter(key, now)

    rates = {}
    for statistics in ("as filled", "analysed"):
        if statistics == "analysed":
            # What autovacuum does after 500 changes (migration af3f383d3b65).
            await line.driver.fetchrow("ANALYZE admission_line")
        started = time.perf_counter()
        await asyncio.gather(*(asker(sample[i::16]) for i in range(16)))
        rates[statistics] = round(len(sample) / (time.perf_counter() - started))
    return {
        "waiting": waiting,
        "fill_asks_per_second": round(waiting / filled),
        "re_asks": len(sample),
        "re_asks_per_second_16_askers": rates,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--askers", default="1,16,64")
    parser.add_argument("--admissions", type=int, default=4000)
    parser.add_argument("--capacity", type=int, default=16)
    parser.add_argument("--deep", type=int, default=10000)
    args = parser.parse_args()
    name = f"assay_bench_admission_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    report: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average_before": os.getloadavg(),
        "capacity": args.capacity,
    }
    engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}")
    try:
        await upgrade_to_head(engine)
        pool = driver_pool(engine)
        assert pool is not None
        line = SharedLine(pool, args.capacity, ticket_seconds=30)
        for askers in (int(k) for k in args.askers.split(",")):
            report[f"{askers} askers"] = await _run(line, askers, args.admissions)
        report["deep line"] = await _deep(line, args.deep)
        await pool.close()
    finally:
        await dispose_engine(engine)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
