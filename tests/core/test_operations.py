from __future__ import annotations

import httpx


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/exams")
    text = (await client.get("/metrics")).text
    assert 'assay_http_requests_total{method="GET",route="/api/v1/exams",status="200"}' in text


async def test_request_id_is_returned_and_kept(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert r.headers["x-request-id"] == "trace-123"
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32


async def test_openapi_documents_error_codes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    save = spec["paths"]["/api/v1/attempts/{attempt_id}/responses/{ref}"]["put"]
    assert "attempt_closed" in save["responses"]["409"]["description"]
    assert (await client.get("/docs")).status_code == 200
