"""PostgreSQL goes away mid-exam and comes back (the shared server is left alone: a TCP
proxy between the API and PostgreSQL cuts every connection and refuses new ones for a
while). During the outage the API answers in the contract's error shape, quickly; once
the database is back it recovers by itself, and the page's retry of the same save (same
seq) lands."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.db import create_engine, dispose_engine
from tests.faults.harness import Launcher, TcpProxy, sign_in, start_attempt, until

OUTAGE_PROBES = 6
RECOVERY_SECONDS = 15


def _through(proxy: TcpProxy, url: str) -> str:
    return (
        make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )


async def test_the_api_rides_out_a_database_outage_and_the_page_retry_lands(
    launcher: Launcher, fresh_url: str, db: asyncpg.Connection
) -> None:
    target = make_url(fresh_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.restore()
    try:
        # The background pass and the heartbeat wait a minute: the test's requests are
        # the first to meet what the outage left in the pools.
        server = await launcher.start(
            _through(proxy, fresh_url),
            ASSAY_SWEEP_INTERVAL_SECONDS="60",
            ASSAY_OUTAGE_GAP_SECONDS="300",
        )
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            headers = await sign_in(client, 0)
            attempt = await start_attempt(client, headers)
            base = f"/api/v1/attempts/{attempt['id']}"
            refs = [i["ref"] for i in attempt["items"]]
            save = f"{base}/responses/{refs[0]}"
            r = await client.put(save, json={"choices": ["a"], "seq": 1}, headers=headers)
            assert r.status_code == 200, r.text
            assert (await client.get(base, headers=headers)).status_code == 200

            await proxy.cut()
            for n in range(OUTAGE_PROBES):
                # Autosave (the driver pool), the attempt's state (a unit of work) and
                # sign-in: each answers (within the client's timeout: no hang) in the
                # error shape, never a dropped connection or a trace.
                for r in (
                    await client.put(save, json={"choices": ["b"], "seq": 2}, headers=headers),
                    await client.get(base, headers=headers),
                    await client.post(
                        "/api/v1/auth/token",
                        data={"username": "candidate-0@example.org", "password": "wrong"},
                    ),
                ):
                    assert r.status_code == 503, (n, r.status_code, r.text)
                    assert r.json()["error"]["code"] == "database_unavailable", r.text
                    assert r.headers["Retry-After"] == "1"
            await proxy.restore()

            # The page's retry: the same save, the same seq, until it is acknowledged.
            async def retried_save() -> httpx.Response | None:
                r = await client.put(save, json={"choices": ["b"], "seq": 2}, headers=headers)
                if r.status_code == 503:
                    return None
                assert r.status_code == 200, r.text
                return r

            landed = await until(retried_save, "the retried save", RECOVERY_SECONDS, every=0.25)
            assert landed.json()["seq"] == 2
            # Every path is back, without a restart.
            assert (await client.get(base, headers=headers)).status_code == 200
            second = f"{base}/responses/{refs[1]}"
            r = await client.put(second, json={"choices": ["c"], "seq": 1}, headers=headers)
            assert r.status_code == 200, r.text

            # A restart between two requests costs no request: the connections it closed
            # are replaced when next taken from the pools, not failed on first use.
            connections = proxy.connections
            await proxy.cut()
            await proxy.restore()
            assert (await client.get(base, headers=headers)).status_code == 200
            r = await client.put(second, json={"choices": ["d"], "seq": 2}, headers=headers)
            assert r.status_code == 200, r.text
            assert proxy.connections > connections  # new ones, through the restored proxy
            assert server.alive
    finally:
        await proxy.cut()
    row = await db.fetchrow(
        "SELECT seq, choices FROM responses WHERE attempt_id = $1 AND ref = $2",
        uuid.UUID(attempt["id"]),
        refs[0],
    )
    assert (row["seq"], json.loads(row["choices"])) == (2, ["b"])


async def test_a_connection_closed_while_pooled_is_replaced_at_checkout(postgres_url: str) -> None:
    """No pre-ping round trip, yet no request pays for a restart that happened while
    its connection sat in the pool: a connection known to be closed is replaced."""
    target = make_url(postgres_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.restore()
    engine = create_engine(_through(proxy, postgres_url))
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
            pooled: Any = (await conn.get_raw_connection()).driver_connection
        await proxy.cut()
        await proxy.restore()

        async def seen_closed() -> bool:
            return bool(pooled.is_closed())

        await until(seen_closed, "the pooled connection to hear it was closed", 5)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 2")) == 2
        assert proxy.connections == 2
    finally:
        await dispose_engine(engine)
        await proxy.cut()
