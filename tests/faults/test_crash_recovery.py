"""A server killed (SIGKILL) in the middle of closing an attempt: in its submit, in the
grading of a scenario, in the scoring and certificate issue that follow. Each attempt
ends done or redone by the recovery pass of the restarted server, never half done: one
score, one certificate.

The kill lands in a real window, held open from outside: the test's own connection
locks the certificates table, so the transaction that scores a pass waits at its
certificate insert (seen in pg_stat_activity) until the process is dead; a grading is
caught while its run is marked running, with that row locked so it cannot finish."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest

from tests.faults.harness import (
    Launcher,
    backend_gone,
    driver_url,
    keyed_labels,
    lock_waiters,
    sign_in,
    start_attempt,
    until,
)
from tests.pipeline_scenario import PIPELINE

RECOVERY_SECONDS = 30
# The scored path of a pass: the statement the kill interrupts.
CERTIFICATE_INSERT = "INSERT INTO certificates"


@asynccontextmanager
async def certificates_locked(url: str) -> AsyncIterator[None]:
    """Holds the certificates table against writes (reads go on) until the block ends."""
    holder = await asyncpg.connect(driver_url(url))
    try:
        await holder.execute("BEGIN; LOCK TABLE certificates IN EXCLUSIVE MODE")
        yield
    finally:
        await holder.close()  # the lock goes with the connection


async def _answer_right(
    client: httpx.AsyncClient, headers: dict[str, str], db: asyncpg.Connection, attempt: Any
) -> None:
    for ref, labels in (await keyed_labels(db, attempt["id"])).items():
        r = await client.put(
            f"/api/v1/attempts/{attempt['id']}/responses/{ref}",
            json={"choices": labels, "seq": 1},
            headers=headers,
        )
        assert r.status_code == 200, r.text
    for entry in attempt["items"]:
        if entry["kind"] == "scenario":
            r = await client.put(
                f"/api/v1/attempts/{attempt['id']}/responses/{entry['ref']}",
                json={"files": {"pipeline.py": PIPELINE}, "seq": 1},
                headers=headers,
            )
            assert r.status_code == 200, r.text


async def _state(db: asyncpg.Connection, attempt_id: uuid.UUID) -> asyncpg.Record:
    row = await db.fetchrow(
        "SELECT status, score, passed, submitted_by,"
        " (SELECT count(*) FROM certificates c WHERE c.attempt_id = a.id) AS certificates,"
        " (SELECT count(*) FROM scenario_runs r WHERE r.attempt_id = a.id"
        "  AND r.kind = 'final') AS final_runs"
        " FROM attempts a WHERE a.id = $1",
        attempt_id,
    )
    assert row is not None
    return row


async def _final_run(db: asyncpg.Connection, attempt_id: uuid.UUID) -> tuple[str, int]:
    row = await db.fetchrow(
        "SELECT status, attempts_made FROM scenario_runs WHERE attempt_id = $1 AND kind = 'final'",
        attempt_id,
    )
    assert row is not None
    return row["status"], row["attempts_made"]


async def _scored(db: asyncpg.Connection, attempt_id: uuid.UUID) -> asyncpg.Record | None:
    row = await _state(db, attempt_id)
    return row if row["status"] == "scored" else None


async def test_a_submit_and_a_scoring_killed_at_their_certificate_end_done_once(
    launcher: Launcher, fresh_url: str, db: asyncpg.Connection
) -> None:
    """Two windows, one kill: a multiple-choice submit (submit, score and certificate
    are one transaction) and the scoring that follows a scenario's grading."""
    server = await launcher.start(fresh_url)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        attempts = {}
        for n, exam in enumerate(("fault-one", "fault-practical")):
            headers = await sign_in(client, n)
            attempt = await start_attempt(client, headers, exam)
            await _answer_right(client, headers, db, attempt)
            attempts[exam] = (uuid.UUID(attempt["id"]), headers)
        submit, practical = attempts["fault-one"][0], attempts["fault-practical"][0]
        async with certificates_locked(fresh_url):
            r = await client.post(
                f"/api/v1/attempts/{practical}/submit", headers=attempts["fault-practical"][1]
            )
            assert r.status_code == 202, r.text  # graded next, then scored
            submitting = asyncio.create_task(
                client.post(f"/api/v1/attempts/{submit}/submit", headers=attempts["fault-one"][1])
            )

            async def both_waiting() -> list[int] | None:
                pids = await lock_waiters(db, CERTIFICATE_INSERT)
                return pids if len(pids) == 2 else None

            pids = await until(both_waiting, "both at their certificate", RECOVERY_SECONDS)
            await server.kill()
            with pytest.raises(httpx.TransportError):
                await submitting
    for pid in pids:
        await until(functools.partial(backend_gone, db, pid), "the killed transactions to end")

    # The submit left nothing: not submitted, not scored, no certificate.
    before = await _state(db, submit)
    assert (before["status"], before["score"], before["certificates"]) == ("in_progress", None, 0)
    # The scoring left the grade and nothing else: the half the recovery pass finishes.
    before = await _state(db, practical)
    assert (before["status"], before["score"], before["certificates"]) == ("grading", None, 0)
    assert await _final_run(db, practical) == ("done", 1)

    # Time runs out for the first attempt; the restarted server's background pass
    # submits it and scores the second.
    await db.execute(
        "UPDATE attempts SET deadline_at = now() - interval '1 minute' WHERE id = $1", submit
    )
    await launcher.start(fresh_url)
    after = await until(lambda: _scored(db, submit), "the sweeper's submit", RECOVERY_SECONDS)
    assert (after["submitted_by"], after["passed"], after["certificates"]) == ("deadline", True, 1)
    after = await until(lambda: _scored(db, practical), "the recovered scoring", RECOVERY_SECONDS)
    assert (after["passed"], after["certificates"], after["final_runs"]) == (True, 1, 1)
    assert await _final_run(db, practical) == ("done", 1)  # the grade stood: not graded again


async def test_a_grading_killed_mid_run_is_graded_again_and_scored_once(
    launcher: Launcher, fresh_url: str, db: asyncpg.Connection
) -> None:
    server = await launcher.start(fresh_url)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        headers = await sign_in(client, 0)
        attempt = await start_attempt(client, headers, "fault-practical")
        attempt_id = uuid.UUID(attempt["id"])
        await _answer_right(client, headers, db, attempt)
        r = await client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)
        assert r.status_code == 202, r.text
    holder = await asyncpg.connect(driver_url(fresh_url))
    try:

        async def running() -> bool | None:
            # Once the run is marked running, its row is locked against its result.
            await holder.execute("BEGIN")
            status = await holder.fetchval(
                "SELECT status FROM scenario_runs WHERE attempt_id = $1"
                " AND kind = 'final' FOR SHARE",
                attempt_id,
            )
            if status == "running":
                return True
            await holder.execute("ROLLBACK")
            assert status == "queued", "the grading finished before the kill"
            return None

        await until(running, "the grading to run", RECOVERY_SECONDS, every=0.01)
        await server.kill()
    finally:
        await holder.close()
    before = await _state(db, attempt_id)
    assert (before["status"], before["score"], before["certificates"]) == ("grading", None, 0)
    assert await _final_run(db, attempt_id) == ("running", 1)

    # The run was left running by a process that is gone; once it is older than the
    # recovery pass waits for (time passes), the restarted server grades it again.
    await db.execute(
        "UPDATE scenario_runs SET created_at = created_at - interval '10 minutes'"
        " WHERE attempt_id = $1",
        attempt_id,
    )
    await launcher.start(fresh_url)
    after = await until(lambda: _scored(db, attempt_id), "the regraded attempt", RECOVERY_SECONDS)
    assert (after["passed"], after["certificates"], after["final_runs"]) == (True, 1, 1)
    assert (
        await db.fetchval(
            "SELECT attempts_made FROM scenario_runs WHERE attempt_id = $1 AND kind = 'final'",
            attempt_id,
        )
        == 2
    )
