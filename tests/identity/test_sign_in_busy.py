"""A sign-in storm past what the hashing threads clear within the bound: the API answers
503 sign_in_busy with Retry-After at once (the contract's error shape), checks nothing,
does not count it as a failure of the service, and signs the person in once asked again."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from app.core import security
from tests.conftest import PASSWORD, sign_up


@pytest.fixture
def storm() -> Iterator[security.HashingLine]:
    """The process's line as if 400 hashes of 0.5 s each were waiting ahead."""
    line = security._hashing
    saved = (line.in_line, line.seconds, line.max_wait_seconds)
    line.max_wait_seconds = 20.0
    line.seconds = 0.5
    line.in_line = 400
    yield line
    line.in_line, line.seconds, line.max_wait_seconds = saved


async def test_a_storm_is_told_when_to_come_back_and_is_not_an_outage(
    app: FastAPI, client: httpx.AsyncClient, storm: security.HashingLine
) -> None:
    storm.in_line = 0
    candidate = await sign_up(client)
    storm.in_line = 400 * storm.threads
    expected_wait = storm.expected_wait()  # 400 per thread, 0.5 s each: 200 s
    earlier = app.state.failures.take()

    for path, kwargs in (
        ("/api/v1/auth/token", {"data": {"username": candidate.email, "password": PASSWORD}}),
        ("/api/v1/auth/session", {"json": {"email": candidate.email, "password": PASSWORD}}),
    ):
        r = await client.post(path, **kwargs)
        assert r.status_code == 503, r.text
        error = r.json()["error"]
        assert error["code"] == "sign_in_busy"
        assert "signing in" in error["message"]
        retry = int(r.headers["Retry-After"])
        assert retry == error["details"]["retry_after"] == min(60, int(expected_wait - 20) + 1)
    assert storm.in_line == 400 * storm.threads  # refused before taking a place
    assert app.state.failures.take() == {}  # shed by design, not an outage
    app.state.failures.put_back(earlier)

    storm.in_line = 0  # the line has drained
    r = await client.post(
        "/api/v1/auth/token", data={"username": candidate.email, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
