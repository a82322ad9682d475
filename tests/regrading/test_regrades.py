"""Regrading through the API: preview, apply, and what the apply leaves behind."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.models import Attempt
from app.certificates.models import Certificate, OutboxMessage
from app.core.clock import ManualClock
from app.proctoring import audit
from app.proctoring.models import AuditEntry
from app.regrading import service as regrading_service
from app.regrading.models import RegradeResult
from tests.conftest import Candidate, sign_up
from tests.regrading.conftest import MISKEYED, OTHERS, Cohort, publish_fix, sit

KEEP_TOTALS = {
    "affected": 4,
    "changed": 3,
    "new_passes": 1,
    "below_pass_mark": 1,
    "passes_kept": 1,
    "passes_revoked": 0,
}


async def propose(author: Candidate, **body: Any) -> dict[str, Any]:
    payload = {"item_id": MISKEYED, "change": "rekey", "reason": "Option c is right.", **body}
    r = await author.post("/api/v1/regrades", json=payload)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def apply(admin: Candidate, app: FastAPI, regrade_id: str) -> dict[str, Any]:
    r = await admin.post(
        f"/api/v1/regrades/{regrade_id}/apply", json={"reason": "Key confirmed wrong."}
    )
    assert r.status_code == 202, r.text
    await app.state.jobs.drain()
    return dict(r.json())


async def result(candidate: Candidate, attempt_id: str) -> dict[str, Any]:
    r = await candidate.get(f"/api/v1/attempts/{attempt_id}/result")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def count(sessionmaker: async_sessionmaker[AsyncSession], table: Any) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_preview_counts_are_what_apply_does(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bank: Path,
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    await publish_fix(bank, sessionmaker, clock)
    regrade = await propose(author)
    assert regrade["key"] == ["c"] and regrade["item_versions"] == 2

    r = await author.get(f"/api/v1/regrades/{regrade['id']}/preview")
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["policy"]["name"] == "keep"
    assert preview["impact"]["total"] == KEEP_TOTALS
    assert preview["impact"]["exams"] == [{"exam_code": "test-foundation", **KEEP_TOTALS}]
    moves = {
        a["attempt_id"]: (a["old_score"], a["new_score"], a["outcome"]) for a in preview["attempts"]
    }
    assert moves == {
        cohort.gains[1]: (0.8, 1.0, "changed"),
        cohort.crosses_up[1]: (0.6, 0.8, "new_pass"),
        cohort.crosses_down[1]: (0.8, 0.6, "pass_kept"),
    }
    # A preview writes nothing.
    assert await count(sessionmaker, RegradeResult) == 0
    assert (await result(*cohort.crosses_up))["passed"] is False

    applied = await apply(admin, app, regrade["id"])
    assert applied["status"] == "applying"
    r = await author.get(f"/api/v1/regrades/{regrade['id']}")
    detail = r.json()
    assert detail["regrade"]["status"] == "applied"
    assert detail["applied"]["total"] == preview["impact"]["total"]
    assert {
        a["attempt_id"]: (a["old_score"], a["new_score"], a["outcome"]) for a in detail["attempts"]
    } == moves

    # The candidates' results changed as the preview said.
    up = await result(*cohort.crosses_up)
    assert (up["score"], up["passed"]) == (0.8, True) and up["certificate_id"]
    down = await result(*cohort.crosses_down)
    assert (down["score"], down["passed"]) == (0.6, True) and down["certificate_id"]
    gains = await result(*cohort.gains)
    assert gains["score"] == 1.0
    assert (await result(*cohort.untouched))["score"] == 0.0

    # The new pass's certificate is live and its holder was mailed through the outbox.
    r = await client.get(f"/api/v1/verify/{up['certificate_id']}")
    assert r.status_code == 200 and r.json()["status"] == "active"
    async with sessionmaker() as session:
        mails = (await session.execute(select(OutboxMessage))).scalars().all()
    assert [(m.kind, m.recipient) for m in mails] == [("regrade_pass", cohort.crosses_up[0].email)]
    assert up["certificate_id"].replace("-", "") in mails[0].body.replace("-", "")

    # Every step is in the audit chain, and the chain holds.
    async with sessionmaker() as session:
        entries = (
            (await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars().all()
        )
        report = await audit.verify(session)
    actions = [e.action for e in entries]
    assert actions.count("regrade_proposed") == 1
    assert actions.count("regrade_applied") == 1
    assert actions.count("regrade_rescored") == 3
    assert actions[-1] == "regrade_finished"
    assert entries[-1].details["new_passes"] == 1
    rescored = {str(e.attempt_id): e.details for e in entries if e.action == "regrade_rescored"}
    assert rescored[cohort.crosses_down[1]]["outcome"] == "pass_kept"
    assert rescored[cohort.crosses_down[1]]["old_score"] == "0.800000"
    assert report.intact and report.entries == len(entries)


async def test_applying_twice_changes_nothing(
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bank: Path,
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    await publish_fix(bank, sessionmaker, clock)
    regrade = await propose(author)
    await apply(admin, app, regrade["id"])
    before = await snapshot(sessionmaker)

    again = await apply(admin, app, regrade["id"])
    assert again["status"] == "applied"
    # The job run again by hand (a duplicate delivery) finds nothing to do either.
    await regrading_service.run_apply(
        sessionmaker,
        clock,
        app.state.certificates.issuer,
        uuid.UUID(regrade["id"]),
        batch=1,
    )
    assert await snapshot(sessionmaker) == before
    r = await author.get(f"/api/v1/regrades/{regrade['id']}/preview")
    assert r.status_code == 409 and r.json()["error"]["code"] == "regrade_not_proposed"


async def snapshot(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with sessionmaker() as session:
        attempts = (await session.execute(select(Attempt).order_by(Attempt.id))).scalars().all()
        state: dict[str, Any] = {
            "attempts": [(str(a.id), a.status, a.score, a.passed) for a in attempts]
        }
    for table in (RegradeResult, Certificate, OutboxMessage, AuditEntry):
        state[table.__tablename__] = await count(sessionmaker, table)
    return state


async def test_an_interrupted_apply_resumes_to_the_same_end(
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bank: Path,
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await publish_fix(bank, sessionmaker, clock)
    regrade = await propose(author)
    real = regrading_service.apply_batch
    calls = 0

    async def crash_in_the_third_batch(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        done = await real(*args, **kwargs)
        if calls == 3:
            raise RuntimeError("the worker died")  # after the batch's writes: rolled back
        return done

    monkeypatch.setattr(regrading_service, "apply_batch", crash_in_the_third_batch)
    await apply(admin, app, regrade["id"])
    r = await author.get(f"/api/v1/regrades/{regrade['id']}")
    assert r.json()["regrade"]["status"] == "applying"
    assert r.json()["applied"]["total"]["affected"] == 2  # two batches of one committed

    monkeypatch.setattr(regrading_service, "apply_batch", real)
    assert await regrading_service.resume_applying(sessionmaker, app.state.jobs) == 1
    await app.state.jobs.drain()
    r = await author.get(f"/api/v1/regrades/{regrade['id']}")
    assert r.json()["regrade"]["status"] == "applied"
    assert r.json()["applied"]["total"] == KEEP_TOTALS
    up = await result(*cohort.crosses_up)
    assert (up["score"], up["passed"]) == (0.8, True) and up["certificate_id"]
    assert (await result(*cohort.crosses_down))["passed"] is True
    assert await count(sessionmaker, OutboxMessage) == 1
    async with sessionmaker() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
        assert (await audit.verify(session)).intact
    assert actions.count("regrade_rescored") == 3  # none twice, none lost


async def test_revoke_policy_withdraws_a_pass_the_correction_takes_away(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bank: Path,
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"regrade_drop_policy": "revoke"})
    down_certificate = (await result(*cohort.crosses_down))["certificate_id"]
    await publish_fix(bank, sessionmaker, clock)
    regrade = await propose(author)
    preview = (await author.get(f"/api/v1/regrades/{regrade['id']}/preview")).json()
    assert preview["policy"]["name"] == "revoke"
    assert preview["impact"]["total"] == {**KEEP_TOTALS, "passes_kept": 0, "passes_revoked": 1}

    await apply(admin, app, regrade["id"])
    down = await result(*cohort.crosses_down)
    assert (down["score"], down["passed"]) == (0.6, False)
    r = await client.get(f"/api/v1/verify/{down_certificate}")
    assert r.json()["status"] == "revoked"
    async with sessionmaker() as session:
        reasons = (await session.execute(select(Certificate.revocation_reason))).scalars().all()
    assert any(reason and reason.startswith("Regrade of item LIF-F-001") for reason in reasons)


async def test_the_keep_policy_keeps_the_certificate_valid(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bank: Path,
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    down_certificate = (await result(*cohort.crosses_down))["certificate_id"]
    await publish_fix(bank, sessionmaker, clock)
    await apply(admin, app, (await propose(author))["id"])
    r = await client.get(f"/api/v1/verify/{down_certificate}")
    assert r.json()["status"] == "active"


async def test_accept_and_drop_score_as_they_say(
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    bank: Path,
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    accept = await propose(author, change="accept", key=["c"])
    preview = (await author.get(f"/api/v1/regrades/{accept['id']}/preview")).json()
    # b and c both earn the point: nobody loses, the two who chose c gain.
    assert preview["impact"]["total"] == {
        **KEEP_TOTALS,
        "changed": 2,
        "below_pass_mark": 0,
        "passes_kept": 0,
    }
    drop = await propose(author, change="drop")
    await apply(admin, app, drop["id"])
    # Four items count now: 4/4, 3/4, 3/4, 0/4.
    scores = [
        (await result(*who))["score"]
        for who in (cohort.gains, cohort.crosses_up, cohort.crosses_down, cohort.untouched)
    ]
    assert scores == [1.0, 0.75, 0.75, 0.0]


async def test_an_attempt_scored_after_the_apply_is_scored_under_the_correction(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bank: Path,
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    late = await sign_up(client, "Lee Late")
    choices = {**dict.fromkeys(OTHERS, "b"), OTHERS[0]: "a", MISKEYED: "c"}
    attempt_id = await sit(late, sessionmaker, choices, submit=False)  # on version 1
    await publish_fix(bank, sessionmaker, clock)
    await apply(admin, app, (await propose(author))["id"])
    r = await late.post(f"/api/v1/attempts/{attempt_id}/submit")
    assert r.status_code == 202
    assert (await result(late, attempt_id))["score"] == 0.8


async def test_who_may_do_what(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bank: Path,
    author: Candidate,
    admin: Candidate,
) -> None:
    from app.identity.models import Role
    from tests.proctoring.conftest import staff_member

    proctor = await staff_member(client, sessionmaker, clock, Role.proctor, "Pat Proctor")
    candidate = await sign_up(client, "Cas Candidate")
    regrade = await propose(author)
    rid = regrade["id"]
    body = {"item_id": MISKEYED, "change": "drop", "reason": "Ambiguous stem."}
    routes = [
        ("post", "/api/v1/regrades", body),
        ("get", "/api/v1/regrades", None),
        ("get", f"/api/v1/regrades/{rid}", None),
        ("get", f"/api/v1/regrades/{rid}/preview", None),
        ("post", f"/api/v1/regrades/{rid}/apply", {"reason": "Key confirmed wrong."}),
    ]
    allowed = {
        "candidate": [False] * 5,
        "proctor": [False] * 5,
        "author": [True, True, True, True, False],
        "admin": [True] * 5,
    }
    people = {"candidate": candidate, "proctor": proctor, "author": author, "admin": admin}
    for role, who in people.items():
        for (method, url, payload), ok in zip(routes, allowed[role], strict=True):
            if url.endswith("/apply") and ok:
                continue  # applying is checked last, once
            kw = {"json": payload} if payload is not None else {}
            r = await getattr(who, method)(url, **kw)
            assert (r.status_code < 400) == ok, (role, url, r.status_code, r.text)
            if not ok:
                assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    for method, url, payload in routes:
        kw = {"json": payload} if payload is not None else {}
        r = await getattr(client, method)(url, **kw)
        assert r.status_code == 401, url
    r = await admin.post(f"/api/v1/regrades/{rid}/apply", json={"reason": "Key confirmed."})
    assert r.status_code == 202


async def test_refusals_name_their_reason(
    client: httpx.AsyncClient, bank: Path, author: Candidate
) -> None:
    r = await author.post(
        "/api/v1/regrades", json={"item_id": "NOPE-1", "change": "drop", "reason": "Gone."}
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "item_not_found"
    r = await author.post(
        "/api/v1/regrades",
        json={"item_id": MISKEYED, "change": "rekey", "key": ["e"], "reason": "No e here."},
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "key_not_in_item"
    r = await author.post(
        "/api/v1/regrades", json={"item_id": MISKEYED, "change": "accept", "reason": "Which?"}
    )
    assert r.status_code == 422
    r = await author.get(f"/api/v1/regrades/{uuid.uuid4()}/preview")
    assert r.status_code == 404 and r.json()["error"]["code"] == "regrade_not_found"


async def miskeyed_outcomes(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> dict[str, tuple[str, int]]:
    """The mis-keyed item's recorded outcomes: attempt id -> (answer, correct)."""
    from app.authoring.models import ItemOutcome
    from app.exams.models import ItemVersion

    async with sessionmaker() as session:
        rows = await session.execute(
            select(ItemOutcome.attempt_id, ItemOutcome.answer, ItemOutcome.correct)
            .join(ItemVersion, ItemVersion.id == ItemOutcome.item_version_id)
            .where(ItemVersion.item_id == MISKEYED)
        )
        return {str(a): (answer, correct) for a, answer, correct in rows}


async def test_item_analysis_is_recorded_again_under_the_correction(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bank: Path,
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    before = await miskeyed_outcomes(sessionmaker)
    assert before[cohort.crosses_up[1]] == ("c", 0) and before[cohort.crosses_down[1]] == ("b", 1)
    late = await sign_up(client, "Lee Late")
    choices = {**dict.fromkeys(OTHERS, "b"), MISKEYED: "c"}
    open_attempt = await sit(late, sessionmaker, choices, submit=False)

    await publish_fix(bank, sessionmaker, clock)
    await apply(admin, app, (await propose(author))["id"])
    # In the apply's transactions: every rescored attempt's outcomes follow the new key,
    # those whose score did not move too.
    after = await miskeyed_outcomes(sessionmaker)
    assert after == {
        attempt: (answer, int(answer == "c")) for attempt, (answer, _) in before.items()
    }
    # An attempt scored after the apply is scored and recorded under the key in force.
    assert (await late.post(f"/api/v1/attempts/{open_attempt}/submit")).status_code == 202
    assert (await result(late, open_attempt))["score"] == 1.0
    assert (await miskeyed_outcomes(sessionmaker))[open_attempt] == ("c", 1)

    # A dropped item counts for nobody: its outcomes go, the other items' stay.
    await apply(admin, app, (await propose(author, change="drop"))["id"])
    assert await miskeyed_outcomes(sessionmaker) == {}
    from app.authoring.models import ItemOutcome

    assert await count(sessionmaker, ItemOutcome) == 5 * 4
