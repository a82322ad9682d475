"""The evidence of shedding: 500 and 503 answers counted per minute, nothing else."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.attempts.exceptions import ExamUnavailable
from app.availability import service
from app.availability.failures import FailureCounter, window_of
from app.core.clock import ManualClock


async def test_500_and_503_answers_are_counted_per_minute(app: FastAPI, clock: ManualClock) -> None:
    async def shed() -> None:
        raise ExamUnavailable()

    async def broken() -> None:
        raise RuntimeError("a bug")

    async def fine() -> dict[str, str]:
        return {"ok": "yes"}

    app.router.add_api_route("/test-shed", shed)
    app.router.add_api_route("/test-broken", broken)
    app.router.add_api_route("/test-fine", fine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        assert (await client.get("/test-shed")).status_code == 503
        assert (await client.get("/test-broken")).status_code == 500
        assert (await client.get("/test-fine")).status_code == 200
        assert (await client.get("/no-such-page")).status_code == 404
        clock.advance(seconds=60)
        assert (await client.get("/test-shed")).status_code == 503
    counts = app.state.failures.take()
    first = window_of(clock.now() - timedelta(seconds=60))
    assert counts == {first: 2, first + timedelta(minutes=1): 1}


async def test_counts_a_failed_flush_could_not_store_are_kept(clock: ManualClock) -> None:
    counter = FailureCounter()
    counter.count(clock.now())
    counter.count(clock.now())

    class Down:
        def get_bind(self) -> object:
            raise ConnectionError("database unreachable")

    with pytest.raises(ConnectionError):
        await service.flush_failures(Down(), "p1", counter)  # type: ignore[arg-type]
    counter.count(clock.now())
    assert counter.take() == {window_of(clock.now()): 3}
