"""Two `assay serve` processes on one PostgreSQL database keep one admission line: the
start capacity is for both together, and a candidate's place (and when they arrived)
holds whichever process they ask. A start is held in flight from outside: the test's
connection locks `attempts` against inserts, so an admitted start waits at its insert
while holding its slot."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import httpx

from tests.faults.harness import Launcher, sign_in, until

URL = "/api/v1/exams/fault-one/attempts"


# A start that is over marks its place (took_seconds) for the next ask to fold into the
# wait estimate and delete: that slot is free.
async def _slots_taken(db: asyncpg.Connection) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM admission_line"
            " WHERE admitted_at IS NOT NULL AND took_seconds IS NULL"
        )
    )


async def _line_empty(db: asyncpg.Connection) -> bool:
    return await db.fetchval("SELECT count(*) FROM admission_line WHERE took_seconds IS NULL") == 0


async def _no_slot_taken(db: asyncpg.Connection) -> bool:
    return await _slots_taken(db) == 0


async def _one_held(db: asyncpg.Connection) -> bool:
    return await _slots_taken(db) == 1


async def _position(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    r = await client.post(URL, headers=headers)
    assert r.status_code == 202, r.text
    assert r.headers["Retry-After"] == str(r.json()["retry_after_seconds"])
    return int(r.json()["position"])


async def test_capacity_and_places_hold_across_two_processes(
    launcher: Launcher, fresh_url: str, db: asyncpg.Connection
) -> None:
    servers = await asyncio.gather(
        *(launcher.start(fresh_url, ASSAY_START_CAPACITY="1") for _ in range(2))
    )
    one, two = (httpx.AsyncClient(base_url=s.url, timeout=30) for s in servers)
    try:
        first, second, third = [await sign_in(one, n) for n in range(3)]
        hold = db.transaction()
        await hold.start()
        await db.execute("LOCK TABLE attempts IN EXCLUSIVE MODE")
        in_flight = asyncio.create_task(one.post(URL, headers=first))
        await until(lambda: _one_held(db), "the first start admitted and held")

        # The one slot is taken on process one: process two makes the next start wait.
        asked_at = datetime.now(UTC)
        assert await _position(two, second) == 1
        assert await _position(one, third) == 2
        # Each keeps their place asking the other process.
        assert await _position(one, second) == 1
        assert await _position(two, third) == 2
        assert not in_flight.done()

        await hold.commit()
        started = await in_flight
        assert started.status_code == 201, started.text
        await until(lambda: _no_slot_taken(db), "the first start's slot given back")
        # The slot is free again, for the first in line only, whichever process is asked.
        assert await _position(one, third) == 2
        admitted = await two.post(URL, headers=second)
        assert admitted.status_code == 201, admitted.text
        attempt = admitted.json()
        # The wait was not on the clock: it started when admitted, with the whole time.
        assert datetime.fromisoformat(attempt["started_at"]) > asked_at
        length = datetime.fromisoformat(attempt["deadline_at"]) - datetime.fromisoformat(
            attempt["started_at"]
        )
        assert attempt["remaining_seconds"] >= length.total_seconds() - 1
        # Its slot is given back once its answer is sent: the third asks after that.
        await until(lambda: _no_slot_taken(db), "the second start's slot given back")
        last = await one.post(URL, headers=third)
        assert last.status_code == 201, last.text
        # Each slot is given back once its request is over (after the answer is sent).
        await until(lambda: _line_empty(db), "every slot given back")
    finally:
        await one.aclose()
        await two.aclose()
