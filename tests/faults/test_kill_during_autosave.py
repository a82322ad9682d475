"""kill -9 of the API process while candidates autosave: every answer the server
acknowledged (a 200) is in the database afterwards, at its acknowledged seq or a later
one, and the restarted server takes the pages' next saves."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import httpx

from tests.faults.harness import Launcher, sign_in, start_attempt

CANDIDATES = 6
SAVES_EACH = 60
KILL_AFTER_ACKS = 120


async def test_no_acknowledged_answer_is_lost_to_a_sigkill(
    launcher: Launcher, fresh_url: str, db: asyncpg.Connection
) -> None:
    server = await launcher.start(fresh_url)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        candidates = []
        for n in range(CANDIDATES):
            headers = await sign_in(client, n)
            attempt = await start_attempt(client, headers)
            candidates.append((headers, attempt["id"], [i["ref"] for i in attempt["items"]]))

        acked: dict[tuple[str, str], tuple[int, list[str]]] = {}  # the newest 200 per item
        acks = 0
        cut_short: list[Exception] = []  # requests the kill left without an answer
        enough = asyncio.Event()

        async def autosave(headers: dict[str, str], attempt_id: str, refs: list[str]) -> None:
            nonlocal acks
            for n in range(1, SAVES_EACH + 1):
                ref, choices = refs[n % len(refs)], ["abcd"[n % 4]]
                try:
                    r = await client.put(
                        f"/api/v1/attempts/{attempt_id}/responses/{ref}",
                        json={"choices": choices, "seq": n},
                        headers=headers,
                    )
                except httpx.ConnectError:
                    return  # the server is gone: nothing was sent
                except httpx.TransportError as exc:
                    cut_short.append(exc)
                    return
                assert r.status_code == 200, r.text
                assert r.json()["seq"] == n
                acked[(attempt_id, ref)] = (n, choices)
                acks += 1
                if acks >= KILL_AFTER_ACKS:
                    enough.set()

        savers = [asyncio.create_task(autosave(*c)) for c in candidates]
        await asyncio.wait_for(enough.wait(), 30)
        await server.kill()
        await asyncio.wait_for(asyncio.gather(*savers), 30)
    assert cut_short, "the kill should have caught saves in flight"
    assert acks < CANDIDATES * SAVES_EACH, "the kill came after the traffic"

    stored = {
        (str(row["attempt_id"]), row["ref"]): (row["seq"], json.loads(row["choices"]))
        for row in await db.fetch("SELECT attempt_id, ref, seq, choices FROM responses")
    }
    for key, (seq, choices) in acked.items():
        assert key in stored, f"acknowledged answer {key} at seq {seq} is lost"
        stored_seq, stored_choices = stored[key]
        assert stored_seq >= seq, f"{key}: acknowledged seq {seq}, stored {stored_seq}"
        if stored_seq == seq:
            assert stored_choices == choices, key

    # The page sends its next change to the restarted server, and it lands.
    server = await launcher.start(fresh_url)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        for headers, attempt_id, refs in candidates:
            r = await client.put(
                f"/api/v1/attempts/{attempt_id}/responses/{refs[0]}",
                json={"choices": ["d"], "seq": SAVES_EACH + 1},
                headers=headers,
            )
            assert r.status_code == 200, r.text
    assert await db.fetchval(
        "SELECT count(*) FROM responses WHERE seq = $1 AND attempt_id = ANY($2::uuid[])",
        SAVES_EACH + 1,
        [uuid.UUID(a) for _, a, _ in candidates],
    ) == len(candidates)
