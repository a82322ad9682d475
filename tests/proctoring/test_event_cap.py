"""At most ASSAY_REVIEW_EVENTS_MAX events are kept per attempt: the one that fills the
allowance leaves a server-side note (itself evidence), later ones are refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from tests.conftest import Candidate
from tests.proctoring.conftest import new_candidate, start
from tests.proctoring.test_events import stored


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"review_events_max": 10})


async def test_events_beyond_the_cap_are_refused_and_the_cap_is_noted(
    client: httpx.AsyncClient,
    published: Path,
    proctor: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt = await start(candidate)
    url = f"/api/v1/attempts/{attempt['id']}/events"
    codes = [(await candidate.post(url, json={"type": "copy"})).status_code for _ in range(12)]
    assert codes == [201] * 10 + [409] * 2
    refused = await candidate.post(url, json={"type": "copy"})
    assert refused.json()["error"]["code"] == "event_limit_reached"
    kinds = await stored(sessionmaker, attempt["id"])
    assert kinds.count("copy") == 10 and kinds.count("event_limit_reached") == 1
    await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    flags = (await proctor.get(f"/api/v1/review/attempts/{attempt['id']}")).json()["flags"]
    assert "event_flood" in {f["rule"] for f in flags}
