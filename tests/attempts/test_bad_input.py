"""Bad input gets a clear 4xx in the contract's shape, and the stored answers are
exactly what was acknowledged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Candidate, sign_up


@pytest.fixture
async def attempt(candidate: Candidate, published: Path) -> dict[str, Any]:
    r = await candidate.post("/api/v1/exams/test-foundation/attempts")
    return dict(r.json())


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


async def test_malformed_json_is_a_422(candidate: Candidate, attempt: dict[str, Any]) -> None:
    r = await candidate.put(
        f"/api/v1/attempts/{attempt['id']}/responses/q1",
        content=b'{"choices": ["a"], "seq": ',
        headers={"content-type": "application/json"},
    )
    _error(r, 422, "invalid_request")


@pytest.mark.parametrize(
    "payload",
    [
        {"choices": "a", "seq": 1},
        {"choices": ["a"], "seq": "one"},
        {"choices": ["a"]},
        {"choices": ["a"], "seq": -1},
        {"choices": ["a"], "seq": 1, "extra": True},
        {"choices": [1], "seq": 1},
        [],
    ],
)
async def test_wrong_types_are_a_422(
    candidate: Candidate, attempt: dict[str, Any], payload: object
) -> None:
    r = await candidate.put(f"/api/v1/attempts/{attempt['id']}/responses/q1", json=payload)
    _error(r, 422, "invalid_request")


@pytest.mark.parametrize(
    "choices", [["z"], ["a", "a"], ["e"]], ids=["unknown", "twice", "beyond-options"]
)
async def test_choices_that_do_not_fit_the_item(
    candidate: Candidate, attempt: dict[str, Any], choices: list[str]
) -> None:
    r = await candidate.put(
        f"/api/v1/attempts/{attempt['id']}/responses/q1", json={"choices": choices, "seq": 1}
    )
    _error(r, 422, "invalid_answer")


async def test_two_answers_to_a_single_answer_item(
    candidate: Candidate, attempt: dict[str, Any]
) -> None:
    r = await candidate.put(
        f"/api/v1/attempts/{attempt['id']}/responses/q1", json={"choices": ["a", "b"], "seq": 1}
    )
    _error(r, 422, "invalid_answer")


async def test_unknown_ref_and_unknown_attempt(
    candidate: Candidate, attempt: dict[str, Any]
) -> None:
    r = await candidate.put(
        f"/api/v1/attempts/{attempt['id']}/responses/q999", json={"choices": ["a"], "seq": 1}
    )
    _error(r, 404, "item_not_found")
    _error(
        await candidate.get(f"/api/v1/attempts/{attempt['id']}/items/q999"), 404, "item_not_found"
    )
    missing = "00000000-0000-4000-8000-000000000000"
    _error(await candidate.get(f"/api/v1/attempts/{missing}"), 404, "attempt_not_found")
    _error(await candidate.get("/api/v1/attempts/not-a-uuid"), 422, "invalid_request")
    _error(await candidate.post("/api/v1/exams/no-such-exam/attempts"), 404, "exam_not_found")


async def test_another_candidates_attempt_is_not_found(
    client: httpx.AsyncClient, attempt: dict[str, Any]
) -> None:
    intruder = await sign_up(client, name="Mallory Intruder")
    base = f"/api/v1/attempts/{attempt['id']}"
    for response in (
        await intruder.get(base),
        await intruder.get(f"{base}/items/q1"),
        await intruder.put(f"{base}/responses/q1", json={"choices": ["a"], "seq": 1}),
        await intruder.post(f"{base}/submit"),
        await intruder.get(f"{base}/result"),
    ):
        _error(response, 404, "attempt_not_found")


async def test_huge_payload_is_a_413(candidate: Candidate, attempt: dict[str, Any]) -> None:
    body = b'{"seq": 1, "choices": ["' + b"a" * 2_000_000 + b'"]}'
    r = await candidate.put(
        f"/api/v1/attempts/{attempt['id']}/responses/q1",
        content=body,
        headers={"content-type": "application/json"},
    )
    _error(r, 413, "payload_too_large")


async def test_stale_seq_is_acknowledged_and_ignored(
    candidate: Candidate, attempt: dict[str, Any]
) -> None:
    url = f"/api/v1/attempts/{attempt['id']}/responses/q1"
    newer = await candidate.put(url, json={"choices": ["c"], "seq": 5})
    assert newer.status_code == 200 and newer.json()["seq"] == 5
    older = await candidate.put(url, json={"choices": ["a"], "seq": 4})
    assert older.status_code == 200
    assert older.json() == newer.json()  # tells the client what is stored
    repeat = await candidate.put(url, json={"choices": ["d"], "seq": 5})
    assert repeat.json() == newer.json()
    item = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/items/q1")).json()
    assert item["answer"] == ["c"]


async def test_stored_answers_are_exactly_the_acknowledged_ones(
    candidate: Candidate, attempt: dict[str, Any]
) -> None:
    acknowledged: dict[str, list[str]] = {}
    base = f"/api/v1/attempts/{attempt['id']}"
    writes: list[tuple[str, object]] = [
        ("q1", {"choices": ["a"], "seq": 1}),
        ("q1", {"choices": ["b"], "seq": 2}),
        ("q2", {"choices": ["zz"], "seq": 1}),  # refused
        ("q2", {"choices": ["d"], "seq": 3}),
        ("q2", {"choices": ["a"], "seq": 2}),  # stale
        ("q3", {"choices": ["c"], "seq": "x"}),  # refused
        ("q1", {"choices": [], "seq": 3}),  # cleared
    ]
    for ref, payload in writes:
        r = await candidate.put(f"{base}/responses/{ref}", json=payload)
        if r.status_code == 200 and r.json()["seq"] == payload["seq"]:  # type: ignore[index]
            acknowledged[ref] = payload["choices"]  # type: ignore[index]
    for ref in ("q1", "q2", "q3"):
        item = (await candidate.get(f"{base}/items/{ref}")).json()
        assert item["answer"] == acknowledged.get(ref, []), ref


async def test_unauthenticated_and_forged_tokens(
    client: httpx.AsyncClient, attempt: dict[str, Any]
) -> None:
    _error(await client.get(f"/api/v1/attempts/{attempt['id']}"), 401, "not_authenticated")
    forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}
    _error(await client.get("/api/v1/me", headers=forged), 401, "invalid_token")


async def test_unknown_route_and_wrong_method(client: httpx.AsyncClient) -> None:
    _error(await client.get("/api/v1/nowhere"), 404, "not_found")
    _error(await client.delete("/api/v1/exams"), 405, "method_not_allowed")


async def test_the_item_tells_a_fresh_client_the_stored_seq(
    candidate: Candidate, attempt: dict[str, Any]
) -> None:
    url = f"/api/v1/attempts/{attempt['id']}"
    assert (await candidate.get(f"{url}/items/q1")).json()["seq"] == 0
    await candidate.put(f"{url}/responses/q1", json={"choices": ["b"], "seq": 41})
    assert (await candidate.get(f"{url}/items/q1")).json()["seq"] == 41
