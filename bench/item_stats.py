"""Item analysis benchmark on PostgreSQL.

Seeds N scored attempts (forms of FORM items drawn from a pool of POOL four-option
items, answers from a Rasch model, per-attempt option order) into the given database,
in a child process, then in this process measures:

1. recording: ``record_outcomes`` over every scored attempt (done once per attempt; a
   later run only records attempts scored since), then a VACUUM of the outcomes, as
   autovacuum does after a bulk insert (timed on its own);
2. analysis: ``item_report`` and ``exam_report`` over everything recorded (what
   `assay items stats` does after recording);
3. drift: the leak and drift windows of every item version (what the bank page adds);
4. recording at scoring: ``record_at_scoring`` of 200 attempts, the mean per attempt
   (what the scoring transaction now does).

Wall time per phase; peak memory as this process's peak RSS (the seeding ran in the
child, so it is not counted) and, in a repeat of the analysis, tracemalloc's peak of
Python allocations. The database's schema is dropped and rebuilt: point it at a
database of your own. Only 127.0.0.1 is contacted. Usage:
    python bench/item_stats.py --attempts 20000 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/<db>
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import random
import resource
import subprocess
import sys
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from app.attempts.models import Attempt
from app.attempts.repository import AttemptRepository
from app.authoring import service
from app.core.db import create_engine, create_sessionmaker, session_scope
from app.core.migrate import upgrade_to_head
from app.exams.models import ItemVersion

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPTIONS = ["a1", "a2", "a3", "a4"]
LABELS = "abcde"


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def seed(url: str, attempts: int, pool: int, form: int, rng_seed: int) -> None:
    import asyncpg

    engine = create_engine(url)
    async with engine.connect() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
        await conn.commit()
    await upgrade_to_head(engine)
    await engine.dispose()
    rng = random.Random(rng_seed)
    timing = random.Random(rng_seed + 1)  # its own stream: the answers do not depend on it
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        exam_id = uuid.uuid4()
        await conn.copy_records_to_table(
            "exam_versions",
            columns=[
                "id",
                "code",
                "version",
                "content_hash",
                "is_current",
                "title",
                "level",
                "track",
                "duration_minutes",
                "pass_mark",
                "validity_months",
                "definition",
                "created_at",
            ],
            records=[
                (
                    exam_id,
                    "bench",
                    1,
                    "0" * 64,
                    True,
                    "Bench",
                    "foundation",
                    "bench",
                    60,
                    0.6,
                    12,
                    json.dumps({"sections": []}),
                    AT,
                ),
            ],
        )
        items = []
        for _ in range(pool):
            key = rng.choice(OPTIONS)
            items.append((uuid.uuid4(), key, rng.uniform(-1.5, 1.5)))
        await conn.copy_records_to_table(
            "item_versions",
            columns=[
                "id",
                "item_id",
                "version",
                "content_hash",
                "is_current",
                "retired",
                "domain",
                "level",
                "type",
                "difficulty",
                "tags",
                "stem",
                "options",
                "key",
                "rationale",
                "created_at",
            ],
            records=[
                (
                    vid,
                    f"BEN-{i:04d}",
                    1,
                    "0" * 64,
                    True,
                    False,
                    "lifecycle",
                    "foundation",
                    "single",
                    0.5,
                    "[]",
                    "Stem?",
                    json.dumps([{"id": o, "text": o} for o in OPTIONS]),
                    json.dumps([key]),
                    "{}",
                    AT,
                )
                for i, (vid, key, _) in enumerate(items)
            ],
        )
        chunk = 1000
        for start in range(0, attempts, chunk):
            users, rows, slots, answers = [], [], [], []
            for c in range(start, min(start + chunk, attempts)):
                user_id, attempt_id = uuid.uuid4(), uuid.uuid4()
                users.append((user_id, f"b{c}@example.test", "Bench", "-", "candidate", AT))
                ability = rng.gauss(0, 1)
                right = 0
                clock = 0.0  # seconds since the start: items first answered in form order
                for j, (vid, key, b) in enumerate(rng.sample(items, form)):
                    order = OPTIONS[:]
                    rng.shuffle(order)
                    ref = f"q{j + 1}"
                    slots.append((attempt_id, ref, j, "mcq", 0, vid, json.dumps(order)))
                    if rng.random() < 0.02:
                        continue  # omitted
                    if rng.random() < 1 / (1 + math.exp(-(ability - b))):
                        chosen = key
                        right += 1
                    else:
                        chosen = rng.choice([o for o in OPTIONS if o != key])
                    clock += timing.lognormvariate(3.0, 0.6)
                    first = AT + timedelta(seconds=clock)
                    answers.append(
                        (
                            attempt_id,
                            ref,
                            1,
                            json.dumps([LABELS[order.index(chosen)]]),
                            False,
                            first,
                            first,
                        )
                    )
                score = right / form
                rows.append(
                    (
                        attempt_id,
                        user_id,
                        exam_id,
                        "bench",
                        "scored",
                        c,
                        AT,
                        AT + timedelta(hours=1),
                        AT,
                        "candidate",
                        AT,
                        score,
                        score >= 0.6,
                    )
                )
            await conn.copy_records_to_table(
                "users",
                columns=["id", "email", "full_name", "password_hash", "role", "created_at"],
                records=users,
            )
            await conn.copy_records_to_table(
                "attempts",
                columns=[
                    "id",
                    "user_id",
                    "exam_version_id",
                    "exam_code",
                    "status",
                    "seed",
                    "started_at",
                    "deadline_at",
                    "submitted_at",
                    "submitted_by",
                    "scored_at",
                    "score",
                    "passed",
                ],
                records=rows,
            )
            await conn.copy_records_to_table(
                "attempt_items",
                columns=[
                    "attempt_id",
                    "ref",
                    "position",
                    "kind",
                    "section",
                    "item_version_id",
                    "option_order",
                ],
                records=slots,
            )
            await conn.copy_records_to_table(
                "responses",
                columns=[
                    "attempt_id",
                    "ref",
                    "seq",
                    "choices",
                    "flagged",
                    "saved_at",
                    "first_answered_at",
                ],
                records=answers,
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    figures: dict[str, Any] = {"rss_before_mb": round(peak_rss_mb(), 1)}
    try:
        t0 = time.perf_counter()
        async with session_scope(sessions) as session:
            recorded = await service.record_outcomes(session)
        figures["record_s"] = round(time.perf_counter() - t0, 2)
        figures["recorded_attempts"] = recorded
        figures["rss_after_record_mb"] = round(peak_rss_mb(), 1)
        # What autovacuum does after a bulk insert (insert-triggered since PostgreSQL 13),
        # done here so the figures do not depend on whether it ran yet: it marks the
        # pages all-visible, which the drift windows' index-only scan relies on.
        t0 = time.perf_counter()
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM item_outcomes"))
        figures["vacuum_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        async with session_scope(sessions) as session:
            items = await service.item_report(session)
            exams = await service.exam_report(session)
        figures["analysis_s"] = round(time.perf_counter() - t0, 2)
        figures["rss_after_analysis_mb"] = round(peak_rss_mb(), 1)
        figures["item_versions"] = len(items)
        figures["responses"] = sum(r.stats.n for r in items)
        figures["kr20"] = exams[0].reliability.kr20 if exams else None
        t0 = time.perf_counter()
        async with session_scope(sessions) as session:
            drifts = await service.drift(session, [r.item_version_id for r in items])
        figures["drift_s"] = round(time.perf_counter() - t0, 2)
        figures["drift_flags"] = sum(len(d.flags) for d in drifts.values())
        figures["rss_after_drift_mb"] = round(peak_rss_mb(), 1)
        # What scoring now adds: recording one attempt in its scoring transaction
        # (here re-recording, so a delete first, as a regrade would).
        async with session_scope(sessions) as session:
            ids = (await session.execute(text("SELECT id FROM attempts LIMIT 200"))).scalars().all()
            keys = {
                vid: key
                for vid, key in await session.execute(select(ItemVersion.id, ItemVersion.key))
            }
            repo = AttemptRepository(session)
            elapsed = 0.0
            for attempt_id in ids:
                attempt = await session.get(Attempt, attempt_id)
                assert attempt is not None
                items = await repo.items(attempt_id)
                responses = await repo.responses(attempt_id)
                t0 = time.perf_counter()
                await service.record_at_scoring(session, attempt, items, responses, keys)
                elapsed += time.perf_counter() - t0
        figures["record_at_scoring_ms"] = round(1000 * elapsed / max(len(ids), 1), 2)
        tracemalloc.start()
        async with session_scope(sessions) as session:
            await service.item_report(session)
            await service.exam_report(session)
        figures["analysis_tracemalloc_peak_mb"] = round(
            tracemalloc.get_traced_memory()[1] / 2**20, 1
        )
        tracemalloc.stop()
    finally:
        await engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=20_000)
    parser.add_argument("--pool", type=int, default=120)
    parser.add_argument("--form", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--phase", choices=["seed", "all"], default="all")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql+asyncpg://postgres@127.0.0.1"):
        parser.error("a PostgreSQL database on 127.0.0.1 (postgresql+asyncpg://...)")
    if args.phase == "seed":
        asyncio.run(seed(args.database_url, args.attempts, args.pool, args.form, args.seed))
        return
    t0 = time.perf_counter()
    subprocess.run(  # noqa: S603 (this script, our own arguments)
        [sys.executable, __file__, *sys.argv[1:], "--phase", "seed"], check=True
    )
    seeded = round(time.perf_counter() - t0, 1)
    figures = asyncio.run(measure(args.database_url))
    figures |= {
        "attempts": args.attempts,
        "form": args.form,
        "pool": args.pool,
        "seed_s": seeded,
        "machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores",
        "python": platform.python_version(),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
