from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from app.grading import grader, service
from app.grading.exceptions import IsolationUnavailable
from app.grading.sandbox import detect_sandbox


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "migrations": "ok", "grading_sandbox": "ok"}
    # The layer grading runs on is reported, the same as in every grading record.
    assert body["sandbox"]["layer"] == detect_sandbox().layer
    assert {"python", "uid", "cgroup", "slots"} <= body["sandbox"].keys()


async def test_not_ready_when_grading_would_be_refused(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> None:
        raise IsolationUnavailable()

    monkeypatch.setattr(service, "default_sandbox", refuse)
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["grading_sandbox"] == IsolationUnavailable.default_message
    assert ready.json()["sandbox"]["layer"] == "none"


def test_production_grades_only_in_bubblewrap_unless_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production = {
        "env": "production",
        "secret_key": "s" * 40,
        "database_url": "postgresql+asyncpg://db/assay",
        "public_base_url": "https://certs.example.org",
    }
    assert Settings(**production).sandbox_requires_isolation
    assert not Settings(**production, sandbox_allow_process=True).sandbox_requires_isolation
    assert not Settings(env="dev").sandbox_requires_isolation

    asked: list[bool] = []

    def detect(*, require_isolation: bool) -> None:
        asked.append(require_isolation)
        raise IsolationUnavailable()

    monkeypatch.setattr(grader, "get_settings", lambda: Settings(**production))
    monkeypatch.setattr(grader, "detect_sandbox", detect)
    with pytest.raises(IsolationUnavailable):
        grader.default_sandbox()
    assert asked == [True]


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/exams")
    text = (await client.get("/metrics")).text
    assert 'assay_http_requests_total{method="GET",route="/api/v1/exams",status="200"}' in text


async def test_request_id_is_returned_and_kept(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert r.headers["x-request-id"] == "trace-123"
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32


@pytest.mark.parametrize("declared", [True, False])
async def test_oversized_bodies_are_refused_declared_or_streamed(
    client: httpx.AsyncClient, settings: Settings, declared: bool
) -> None:
    size = settings.max_request_bytes + 1

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(0, size, 65_536):
            yield b"x" * 65_536

    body: bytes | AsyncIterator[bytes] = b"x" * size if declared else chunks()
    r = await client.post(
        "/api/v1/auth/register",
        content=body,
        headers={"content-type": "application/json", "x-request-id": "big-1"},
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert r.headers["x-request-id"] == "big-1"
    metrics = (await client.get("/metrics")).text
    # A declared length is refused before routing; a streamed body once it overflows.
    route = "unmatched" if declared else "/api/v1/auth/register"
    assert f'method="POST",route="{route}",status="413"' in metrics


async def test_openapi_documents_error_codes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    save = spec["paths"]["/api/v1/attempts/{attempt_id}/responses/{ref}"]["put"]
    assert "attempt_closed" in save["responses"]["409"]["description"]
    assert (await client.get("/docs")).status_code == 200
