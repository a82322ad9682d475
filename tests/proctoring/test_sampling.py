"""A configured share of clean passes is held for review anyway (ASSAY_REVIEW_SAMPLE_PERCENT),
drawn by a keyed hash of the attempt id: the draw for an attempt never changes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.core.clock import ManualClock
from tests.conftest import Candidate
from tests.proctoring.conftest import new_candidate, passing_attempt


@pytest.fixture
def sample_percent() -> float:
    return 0


@pytest.fixture
def settings(settings: Settings, sample_percent: float) -> Settings:
    # Answers given at the same frozen instant would be flagged as too fast, and a
    # flagged attempt is not a clean one: that rule is off here.
    return settings.model_copy(
        update={"review_sample_percent": sample_percent, "review_fast_share": 0}
    )


@pytest.mark.parametrize("sample_percent", [0, 100])
async def test_a_share_of_clean_passes_is_held_for_review(
    client: httpx.AsyncClient,
    published: Path,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    proctor: Candidate,
    sample_percent: float,
) -> None:
    candidate = await new_candidate(client)
    attempt_id = await passing_attempt(candidate, sessionmaker, clock)
    outcome = (await candidate.get(f"/api/v1/attempts/{attempt_id}/result")).json()
    queue = (await proctor.get("/api/v1/review/attempts")).json()
    if sample_percent == 100:
        assert (outcome["status"], outcome["certificate_id"]) == ("under_review", None)
        [entry] = queue
        assert (entry["queued_because"], entry["hold"], entry["severity"]) == (
            "sampled",
            True,
            None,
        )
    else:
        assert outcome["status"] == "scored" and outcome["certificate_id"]
        assert queue == []
