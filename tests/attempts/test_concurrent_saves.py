"""Saves that arrive together (one statement for the lot on PostgreSQL) are judged one by
one: each is stored or refused on its own merits, and what is stored is exactly what
was acknowledged."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from tests.conftest import Candidate, sign_up


async def _start(candidate: Candidate) -> str:
    r = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_concurrent_saves_are_each_judged_and_stored_as_acknowledged(
    app: FastAPI, client: httpx.AsyncClient, candidate: Candidate, published: Path
) -> None:
    other = await sign_up(client, "Grace Hopper")
    mine, theirs = await _start(candidate), await _start(other)
    finished = await sign_up(client, "Alan Turing")
    closed = await _start(finished)
    assert (await finished.post(f"/api/v1/attempts/{closed}/submit")).status_code == 202

    writes: list[tuple[Candidate, str, str, dict[str, Any]]] = [
        (candidate, mine, "q1", {"choices": ["a"], "seq": 1}),
        (candidate, mine, "q1", {"choices": ["b"], "seq": 3}),
        (candidate, mine, "q1", {"choices": ["c"], "seq": 2}),  # stale by the time it runs
        (candidate, mine, "q2", {"choices": ["d"], "seq": 1}),
        (candidate, theirs, "q1", {"choices": ["a"], "seq": 1}),  # not mine: 404
        (other, theirs, "q1", {"choices": ["c"], "seq": 7}),
        (other, theirs, "q3", {"choices": ["b"], "seq": 1}),
        (finished, closed, "q1", {"choices": ["a"], "seq": 9}),  # submitted: 409
        (candidate, mine, "q3", {"choices": ["a"], "seq": 1}),
    ]
    responses = await asyncio.gather(
        *(
            who.put(f"/api/v1/attempts/{attempt}/responses/{ref}", json=body)
            for who, attempt, ref, body in writes
        )
    )
    statuses = [r.status_code for r in responses]
    assert statuses == [200, 200, 200, 200, 404, 200, 200, 409, 200], [r.text for r in responses]

    acknowledged: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for (_, attempt, ref, body), r in zip(writes, responses, strict=True):
        if r.status_code != 200:
            continue
        assert r.json()["seq"] >= body["seq"]  # never older than what was sent
        if (
            r.json()["seq"] == body["seq"]
            and body["seq"] > acknowledged.get((attempt, ref), (0,))[0]
        ):
            acknowledged[(attempt, ref)] = (body["seq"], body["choices"])
    assert acknowledged[(mine, "q1")] == (3, ["b"])
    for (attempt, ref), (seq, choices) in acknowledged.items():
        owner = candidate if attempt == mine else other
        item = (await owner.get(f"/api/v1/attempts/{attempt}/items/{ref}")).json()
        assert (item["seq"], item["answer"]) == (seq, choices)

    if app.state.engine.dialect.name == "postgresql":
        # Coalesced: fewer statements than writes that reached the database.
        assert 0 < app.state.autosave.batches.batches < 8
