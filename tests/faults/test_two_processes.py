"""Two `assay serve` processes on one PostgreSQL database behave as one service: the
deadline sweeper, run by both at once, submits each overdue attempt once; rate limits
and event budgets are one budget, however the requests are split between them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import httpx

from tests.faults.harness import Launcher, keyed_labels, sign_in, start_attempt, until

EXAMS = ("fault-one", "fault-two", "fault-three")
CANDIDATES = 3  # an attempt at each exam: 9 overdue at once
BUDGET = 10
REQUESTS = 30


async def _all_scored(db: asyncpg.Connection, count: int) -> bool:
    scored = await db.fetchval("SELECT count(*) FROM attempts WHERE status = 'scored'")
    return bool(scored == count)


async def test_two_sweepers_submit_each_overdue_attempt_once(
    launcher: Launcher, fresh_url: str, db: asyncpg.Connection
) -> None:
    # INFO: each process logs how many attempts its sweeper submitted.
    servers = await asyncio.gather(
        *(launcher.start(fresh_url, ASSAY_LOG_LEVEL="INFO") for _ in range(2))
    )
    clients = [httpx.AsyncClient(base_url=s.url, timeout=30) for s in servers]
    try:
        for n in range(CANDIDATES):
            client = clients[n % 2]
            headers = await sign_in(client, n)
            for exam in EXAMS:
                attempt = await start_attempt(client, headers, exam)
                for ref, labels in (await keyed_labels(db, attempt["id"])).items():
                    r = await client.put(
                        f"/api/v1/attempts/{attempt['id']}/responses/{ref}",
                        json={"choices": labels, "seq": 1},
                        headers=headers,
                    )
                    assert r.status_code == 200, r.text
    finally:
        for client in clients:
            await client.aclose()
    overdue = CANDIDATES * len(EXAMS)

    # Every attempt runs out at once; both sweepers (every 0.25 s) find all of them.
    await db.execute("UPDATE attempts SET deadline_at = now() - interval '1 minute'")
    await until(lambda: _all_scored(db, overdue), "every overdue attempt scored", 60)

    def submitted() -> list[int]:
        return [
            sum(e["count"] for e in s.log_events("sweeper submitted overdue attempts"))
            for s in servers
        ]

    async def all_logged() -> bool:
        return sum(submitted()) >= overdue  # each pass logs once it is through

    await until(all_logged, "both sweepers' passes logged", 10)
    # Stopped, they log nothing more: a second submission anywhere would be counted.
    for server in servers:
        await server.stop()
    assert sum(submitted()) == overdue, submitted()
    rows = await db.fetch(
        "SELECT a.submitted_by, a.passed, count(c.id) AS certificates FROM attempts a"
        " LEFT JOIN certificates c ON c.attempt_id = a.id GROUP BY a.id"
    )
    assert [(r["submitted_by"], r["passed"], r["certificates"]) for r in rows] == [
        ("deadline", True, 1)
    ] * overdue


async def test_rate_limits_and_event_budgets_hold_across_two_processes(
    launcher: Launcher, fresh_url: str
) -> None:
    servers = await asyncio.gather(
        *(
            launcher.start(
                fresh_url,
                ASSAY_VERIFY_PER_MINUTE=str(BUDGET),
                ASSAY_REVIEW_EVENTS_PER_MINUTE=str(BUDGET),
            )
            for _ in range(2)
        )
    )
    # Four requests at a time to each: concurrent enough to race, and few database
    # connections (the PostgreSQL server is shared).
    clients = [
        httpx.AsyncClient(base_url=s.url, timeout=30, limits=httpx.Limits(max_connections=4))
        for s in servers
    ]
    try:
        # Public lookups from one address, alternately to each process, all at once.
        started = time.monotonic()
        lookups = await asyncio.gather(
            *(clients[n % 2].get(f"/api/v1/verify/NOPE-{n:04d}") for n in range(REQUESTS))
        )
        _assert_one_budget(lookups, 404, "rate_limited", time.monotonic() - started)

        # A candidate's proctoring events on one attempt, split the same way.
        headers = await sign_in(clients[0], 0)
        attempt = await start_attempt(clients[0], headers)
        started = time.monotonic()
        events = await asyncio.gather(
            *(
                clients[n % 2].post(
                    f"/api/v1/attempts/{attempt['id']}/events",
                    json={"type": "focus_lost", "data": {"n": n}},
                    headers=headers,
                )
                for n in range(REQUESTS)
            )
        )
        _assert_one_budget(events, 201, "too_many_events", time.monotonic() - started)
    finally:
        for client in clients:
            await client.aclose()


def _assert_one_budget(
    answers: list[httpx.Response], allowed: int, refusal: str, elapsed: float
) -> None:
    """``BUDGET`` answers (plus whatever refilled while they ran: BUDGET a minute), the
    rest refused with the wait they must keep. Per-process budgets would allow twice."""
    refilled = int(elapsed * BUDGET / 60)
    assert refilled < BUDGET, f"too slow to tell one budget from two: {elapsed:.1f} s"
    statuses = [r.status_code for r in answers]
    assert set(statuses) <= {allowed, 429}, statuses
    assert BUDGET <= statuses.count(allowed) <= BUDGET + refilled, statuses
    for refused in (r for r in answers if r.status_code == 429):
        body: Any = refused.json()
        assert body["error"]["code"] == refusal
        assert int(refused.headers["Retry-After"]) >= 1
