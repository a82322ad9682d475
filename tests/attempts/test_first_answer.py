"""Each response keeps the time of its first answer: set by the save that first holds an
answer, never moved by a later change, a clearing or a stale save. Through the API, so
on PostgreSQL through the coalesced batch statement, on SQLite the single-row one."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts import receipts
from app.attempts.models import Response
from app.attempts.repository import AnswerWrite
from app.core.clock import ManualClock
from app.core.db import session_scope
from tests.conftest import Candidate


async def _first_answers(
    sessionmaker: async_sessionmaker[AsyncSession], attempt_id: str
) -> dict[str, tuple[datetime | None, datetime]]:
    async with session_scope(sessionmaker) as session:
        rows = await session.execute(
            select(Response.ref, Response.first_answered_at, Response.saved_at).where(
                Response.attempt_id == uuid.UUID(attempt_id)
            )
        )
        return {ref: (first, saved) for ref, first, saved in rows}


async def test_the_first_answer_time_is_kept_through_later_saves(
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    attempt = (await candidate.post("/api/v1/exams/test-foundation/attempts")).json()
    url = f"/api/v1/attempts/{attempt['id']}/responses/q1"

    async def save(body: dict[str, Any]) -> None:
        r = await candidate.put(url, json=body)
        assert r.status_code == 200, r.text

    clock.advance(seconds=5)
    await save({"choices": [], "flagged": True, "seq": 1})  # flagged only: no answer
    [(first, _)] = (await _first_answers(sessionmaker, attempt["id"])).values()
    assert first is None

    clock.advance(seconds=20)
    answered_at = clock.now()
    await save({"choices": ["a"], "seq": 2})
    clock.advance(seconds=30)
    await save({"choices": ["b"], "seq": 3})  # changed
    clock.advance(seconds=30)
    await save({"choices": [], "seq": 4})  # cleared
    await save({"choices": ["c"], "seq": 3})  # stale: ignored
    clock.advance(seconds=30)
    await save({"choices": ["d"], "seq": 5})  # answered again
    [(first, saved)] = (await _first_answers(sessionmaker, attempt["id"])).values()
    assert first == answered_at
    assert saved == clock.now()


async def test_saves_arriving_together_each_keep_their_own_first_answer(
    app: FastAPI,
    candidate: Candidate,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Submitted in one loop iteration, so on PostgreSQL they are one batch statement."""
    attempt = (await candidate.post("/api/v1/exams/test-foundation/attempts")).json()
    autosave = app.state.autosave

    def write(ref: str, seq: int, choices: list[str], flagged: bool = False) -> AnswerWrite:
        now = clock.now()
        return AnswerWrite(
            uuid.UUID(attempt["id"]),
            uuid.UUID(candidate.id),
            ref,
            seq,
            choices,
            None,
            flagged,
            now,
            now - timedelta(seconds=5),
            receipts.item_digest(ref, choices, None, flagged),
            now if choices else None,
        )

    clock.advance(seconds=40)
    first_at = clock.now()
    assert await autosave.upsert_response(write("q1", 1, ["a"])) is not None
    clock.advance(seconds=40)
    later = clock.now()
    batches_before = autosave.batches.batches
    stored = await asyncio.gather(
        autosave.upsert_response(write("q1", 2, ["b"])),  # a change
        autosave.upsert_response(write("q2", 1, ["c"])),  # a first answer
        autosave.upsert_response(write("q3", 1, [], flagged=True)),  # no answer
    )
    assert all(s is not None for s in stored)
    rows = await _first_answers(sessionmaker, attempt["id"])
    assert rows["q1"] == (first_at, later)
    assert rows["q2"] == (later, later)
    assert rows["q3"] == (None, later)
    if app.state.engine.dialect.name == "postgresql":
        assert autosave.batches.batches - batches_before == 1
