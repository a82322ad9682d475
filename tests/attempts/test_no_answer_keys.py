"""No candidate-facing response ever carries an answer key or a rationale.

Walks every route a candidate can call during and after an attempt (taken from the
app's own route table, so a new candidate route is walked too) and looks for the keys'
texts, the rationales and the authored option ids in every body."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.exams.models import ItemVersion
from tests.conftest import Candidate

CANDIDATE_ROUTES = {
    ("GET", "/api/v1/exams"),
    ("POST", "/api/v1/exams/{code}/attempts"),
    ("GET", "/api/v1/attempts/{attempt_id}"),
    ("GET", "/api/v1/attempts/{attempt_id}/items/{ref}"),
    ("PUT", "/api/v1/attempts/{attempt_id}/responses/{ref}"),
    ("POST", "/api/v1/attempts/{attempt_id}/submit"),
    ("GET", "/api/v1/attempts/{attempt_id}/result"),
    ("POST", "/api/v1/attempts/{attempt_id}/scenarios/{ref}/runs"),
    ("GET", "/api/v1/attempts/{attempt_id}/scenarios/{ref}/runs/{run_id}"),
    # What the candidate's own pipeline printed, run on their files in the sandbox.
    ("POST", "/api/v1/attempts/{attempt_id}/scenarios/{ref}/pipeline-runs"),
    ("GET", "/api/v1/attempts/{attempt_id}/scenarios/{ref}/pipeline-runs/{run_id}"),
    ("POST", "/api/v1/attempts/{attempt_id}/events"),
    ("GET", "/api/v1/certificates"),
    ("GET", "/api/v1/me"),
}


async def test_candidate_routes_never_show_a_key(
    client: httpx.AsyncClient,
    candidate: Candidate,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    attempt_routes = {
        (method.upper(), path)
        for path, operations in paths.items()
        # The review routes are for proctors, who see the grading record on purpose.
        if "/attempts" in path and not path.startswith("/api/v1/review/")
        for method in operations
    }
    assert len(attempt_routes) >= 8
    assert attempt_routes <= CANDIDATE_ROUTES, "a new candidate route must be walked here"

    bodies: list[str] = []
    started = await candidate.post("/api/v1/exams/test-foundation/attempts")
    attempt = started.json()
    base = f"/api/v1/attempts/{attempt['id']}"
    bodies += [started.text, (await candidate.get("/api/v1/exams")).text]
    for slot in attempt["items"]:
        bodies.append((await candidate.get(f"{base}/items/{slot['ref']}")).text)
        saved = await candidate.put(
            f"{base}/responses/{slot['ref']}", json={"choices": ["a"], "seq": 1}
        )
        bodies.append(saved.text)
    bodies.append((await candidate.get(base)).text)
    bodies.append((await candidate.post(f"{base}/events", json={"type": "focus_lost"})).text)
    bodies.append((await candidate.post(f"{base}/submit")).text)
    bodies.append((await candidate.get(f"{base}/result")).text)
    bodies.append((await candidate.get("/api/v1/certificates")).text)
    bodies.append((await candidate.get("/api/v1/me")).text)

    async with sessionmaker() as session:
        items = (await session.execute(select(ItemVersion))).scalars().all()
    secrets = {"rationale", "distractors", '"key"', "is_current", "item_id"}
    for item in items:
        secrets.add(item.rationale["key"])
        secrets.update(item.rationale["distractors"].values())
        secrets.add(item.item_id)
    everything = "\n".join(bodies)
    leaked = sorted(s for s in secrets if s in everything)
    assert not leaked, leaked
    for body in bodies:
        json.loads(body)  # every answer is JSON
