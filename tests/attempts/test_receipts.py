"""Autosave receipts: every acknowledgement carries the hash of the whole stored answer
state; the submit, the result and the proctor's view carry the hash of what was scored;
anyone with the stored answers can recompute it."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.models import Response
from app.core.clock import ManualClock
from app.identity.models import Role
from tests.conftest import Candidate, sign_up
from tests.proctoring.conftest import staff_member
from tests.proctoring.test_pages import HTML, browser_sign_in


def recompute(answers: list[tuple[str, Any, Any, bool]]) -> str:
    """The receipt as documented, written out independently of app/attempts/receipts.py."""

    def canon(value: Any) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    pairs = sorted(
        [
            ref,
            hashlib.sha256(
                canon({"ref": ref, "choices": c, "files": f, "flagged": fl})
            ).hexdigest(),
        ]
        for ref, c, f, fl in answers
    )
    return hashlib.sha256(canon(pairs)).hexdigest()


async def stored_receipt(sessionmaker: async_sessionmaker[AsyncSession], attempt_id: str) -> str:
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(Response).where(Response.attempt_id == uuid.UUID(attempt_id))
            )
        ).scalars()
        return recompute([(r.ref, r.choices, r.files, r.flagged) for r in rows])


async def save(
    candidate: Candidate, attempt_id: str, ref: str, seq: int, choices: list[str], **kw: Any
) -> dict[str, Any]:
    r = await candidate.put(
        f"/api/v1/attempts/{attempt_id}/responses/{ref}",
        json={"choices": choices, "seq": seq, **kw},
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_receipts_follow_the_stored_answers_through_scoring(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client, name="Rosalind Franklin")
    started = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert started.status_code == 201
    attempt = started.json()
    attempt_id = attempt["id"]
    a, b = attempt["items"][0]["ref"], attempt["items"][1]["ref"]

    first = await save(candidate, attempt_id, a, 1, ["a"])
    assert first["receipt"] == recompute([(a, ["a"], None, False)])
    assert first["receipt"] == await stored_receipt(sessionmaker, attempt_id)

    second = await save(candidate, attempt_id, b, 1, ["b"], flagged=True)
    assert second["receipt"] != first["receipt"]
    assert second["receipt"] == recompute([(a, ["a"], None, False), (b, ["b"], None, True)])

    changed = await save(candidate, attempt_id, a, 2, ["c"])
    assert changed["receipt"] not in (first["receipt"], second["receipt"])
    # An older seq is ignored: its acknowledgement is the receipt of what is stored.
    stale = await save(candidate, attempt_id, a, 1, ["d"])
    assert stale["seq"] == 2
    assert stale["receipt"] == changed["receipt"]
    # Unflagging is a change of state too.
    unflagged = await save(candidate, attempt_id, b, 2, ["b"], flagged=False)
    assert unflagged["receipt"] != changed["receipt"]
    last = unflagged["receipt"]
    assert last == await stored_receipt(sessionmaker, attempt_id)

    submitted = await candidate.post(f"/api/v1/attempts/{attempt_id}/submit")
    assert submitted.status_code == 202
    assert submitted.json()["receipt"] == last
    result = (await candidate.get(f"/api/v1/attempts/{attempt_id}/result")).json()
    assert result["status"] == "scored"
    assert result["receipt"] == last

    proctor = await staff_member(client, sessionmaker, clock, Role.proctor, "Pat Proctor")
    view = await proctor.get(f"/api/v1/review/attempts/{attempt_id}")
    assert view.status_code == 200, view.text
    assert view.json()["attempt"]["receipt"] == last
    await browser_sign_in(client, proctor.email)
    page = await client.get(f"/review/attempts/{attempt_id}", headers=HTML)
    assert page.status_code == 200
    assert last in page.text
    await browser_sign_in(client, candidate.email)
    mine = await client.get(f"/attempts/{attempt_id}/result", headers=HTML)
    assert mine.status_code == 200
    assert last in mine.text


async def test_an_empty_attempt_has_the_receipt_of_no_answers(
    client: httpx.AsyncClient, published: Path
) -> None:
    candidate = await sign_up(client, name="Lise Meitner")
    attempt = (await candidate.post("/api/v1/exams/test-foundation/attempts")).json()
    assert (await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")).status_code == 202
    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    assert result["receipt"] == hashlib.sha256(b"[]").hexdigest()


async def test_the_state_carries_the_receipt_of_the_answers_saved_so_far(
    client: httpx.AsyncClient, published: Path
) -> None:
    """What the submit confirmation shows after a reload, before any save of that page."""
    candidate = await sign_up(client, name="Chien-Shiung Wu")
    attempt = (await candidate.post("/api/v1/exams/test-foundation/attempts")).json()
    state_url = f"/api/v1/attempts/{attempt['id']}"
    empty = (await candidate.get(state_url)).json()
    assert empty["answers_receipt"] == hashlib.sha256(b"[]").hexdigest()
    assert empty["receipt"] is None  # nothing is closed yet
    ref = attempt["items"][0]["ref"]
    saved = await save(candidate, attempt["id"], ref, 1, ["b"])
    assert (await candidate.get(state_url)).json()["answers_receipt"] == saved["receipt"]
    changed = await save(candidate, attempt["id"], ref, 2, ["c"], flagged=True)
    assert changed["receipt"] != saved["receipt"]
    assert (await candidate.get(state_url)).json()["answers_receipt"] == changed["receipt"]
    submitted = (await candidate.post(f"{state_url}/submit")).json()
    assert submitted["receipt"] == submitted["answers_receipt"] == changed["receipt"]
