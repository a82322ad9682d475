"""An attempt keeps the content it was given, whatever is published after it started."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from app.core.db import session_scope
from app.exams import service as exams_service
from app.exams.content import load_bank
from tests.bank import blueprint, standard_items, write_bank
from tests.conftest import Candidate


async def test_attempts_keep_the_item_versions_they_were_given(
    candidate: Candidate,
    published: Path,
    tmp_path: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    attempt = (await candidate.post("/api/v1/exams/test-foundation/attempts")).json()
    base = f"/api/v1/attempts/{attempt['id']}"
    before = {
        s["ref"]: (await candidate.get(f"{base}/items/{s['ref']}")).json()["stem"]
        for s in attempt["items"]
    }

    edited = standard_items()
    for data in edited:
        data["stem"] += " Edited after the attempt started."
    root = write_bank(tmp_path / "edited", [blueprint("test-foundation")], edited)
    async with session_scope(sessionmaker) as session:
        await exams_service.publish_bank(session, clock, load_bank(root))

    after = {ref: (await candidate.get(f"{base}/items/{ref}")).json()["stem"] for ref in before}
    assert after == before
    assert not any("Edited" in stem for stem in after.values())
