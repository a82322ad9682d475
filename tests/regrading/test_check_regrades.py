"""Regrading a scenario's hidden check: drop it from scoring or award it to everyone,
previewed and applied through the same code path as a key correction.

The exam: two choice items (half the weight) and the incremental-scoring scenario (the
other half; pass mark 72 %). Its checks: each_event_scored_once 4 points (public),
late_events_scored 3, new_events_scored 2, state_stays_small 2. The grader is replaced
by one that fails the checks a submission names, so every verdict is known."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.authoring.models import CheckOutcome
from app.core.clock import ManualClock
from app.core.db import session_scope
from app.exams import service as exams_service
from app.exams.content import load_bank
from app.grading import service as grading_service
from app.grading.corrections import CheckCorrection
from app.grading.grader import CheckResult, GradingRecord
from app.grading.scenarios import Scenario
from app.proctoring import audit
from app.proctoring.models import AuditEntry
from app.regrading import service as regrading_service
from app.regrading.models import RegradeResult
from tests.attempts.helpers import keyed_labels, wrong_labels
from tests.bank import blueprint, standard_items, write_bank
from tests.conftest import Candidate, sign_up
from tests.regrading.test_regrades import count, result, snapshot

SCENARIO = "incremental-scoring"
BROKEN = "late_events_scored"
TOTALS = {
    "affected": 4,
    "changed": 3,
    "new_passes": 1,
    "below_pass_mark": 1,
    "passes_kept": 1,
    "passes_revoked": 0,
}


@pytest.fixture
async def scenario_exam(
    tmp_path: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = write_bank(
        tmp_path / "check-bank",
        [
            blueprint(
                "test-checks",
                level="professional",
                pass_mark=0.72,
                sections=[
                    {
                        "kind": "mcq",
                        "weight": 0.5,
                        "draw": [{"domain": "lifecycle", "level": "professional", "count": 2}],
                    },
                    {
                        "kind": "scenario",
                        "weight": 0.5,
                        "draw": [{"domain": "cost", "level": "professional", "count": 1}],
                    },
                ],
            )
        ],
        standard_items(),
    )
    async with session_scope(sessionmaker) as session:
        await exams_service.publish_bank(session, clock, load_bank(root))
    monkeypatch.setattr(grading_service, "grade_submission", fake_grader)


async def fake_grader(
    scenario: Scenario, files: dict[str, str], *, public_only: bool = False, **_: Any
) -> GradingRecord:
    """Fails exactly the checks a saved file names after ``FAIL:``."""
    failing = {
        name
        for text in files.values()
        if text.startswith("FAIL:")
        for name in text.removeprefix("FAIL:").split(",")
    }
    checks = [
        CheckResult(
            name=c.name,
            points=c.points,
            earned=0.0 if c.name in failing else float(c.points),
            passed=c.name not in failing,
            message="",
            public=c.public,
        )
        for c in scenario.checks
        if c.public or not public_only
    ]
    earned = sum(c.earned for c in checks)
    possible = sum(c.points for c in checks)
    return GradingRecord(
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        grader_version="test",
        sandbox_layer="test",
        seed=1,
        input_hash="",
        candidate_output_hash="",
        checks=checks,
        earned=earned,
        possible=possible,
        score=round(earned / possible, 6),
        public_only=public_only,
        durations={},
    )


async def sit(
    app: FastAPI,
    candidate: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    right: int,
    failing: list[str],
) -> str:
    """Answers ``right`` of the two choice items right and submits a scenario that
    fails the checks named; the attempt is scored once its grading is done."""
    r = await candidate.post("/api/v1/exams/test-checks/attempts")
    assert r.status_code == 201, r.text
    attempt = r.json()
    base = f"/api/v1/attempts/{attempt['id']}"
    keys = await keyed_labels(sessionmaker, attempt["id"])
    for n, (ref, labels) in enumerate(sorted(keys.items())):
        choices = labels if n < right else wrong_labels(labels)
        r = await candidate.put(f"{base}/responses/{ref}", json={"choices": choices, "seq": 1})
        assert r.status_code == 200, r.text
    [ref] = [i["ref"] for i in attempt["items"] if i["kind"] == "scenario"]
    scenario = app.state.scenarios[SCENARIO]
    r = await candidate.put(
        f"{base}/responses/{ref}",
        json={"files": {scenario.editable[0]: "FAIL:" + ",".join(failing)}, "seq": 1},
    )
    assert r.status_code == 200, r.text
    assert (await candidate.post(f"{base}/submit")).status_code == 202
    await app.state.jobs.drain()
    assert (await result(candidate, attempt["id"]))["status"] == "scored"
    return str(attempt["id"])


@dataclass
class Cohort:
    """Scores before, and after dropping late_events_scored (3 of 11 points):

    - ``gains``: both items right, fails only that check: 0.8636 -> 1.0;
    - ``crosses_up``: one item right, fails only that check: 0.6136 fail -> 0.75 pass;
    - ``crosses_down``: both right, passes that check and new_events_scored only (5 of
      11): 0.7273 pass -> 0.625 (2 of 8), the pass kept under the keep policy;
    - ``untouched``: nothing right, every check failed: 0 -> 0.
    """

    gains: tuple[Candidate, str]
    crosses_up: tuple[Candidate, str]
    crosses_down: tuple[Candidate, str]
    untouched: tuple[Candidate, str]


@pytest.fixture
async def cohort(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    scenario_exam: None,
) -> Cohort:
    everything = [c.name for c in app.state.scenarios[SCENARIO].checks]
    people = []
    for name, right, failing in (
        ("Gail Gains", 2, [BROKEN]),
        ("Uma Up", 1, [BROKEN]),
        ("Dan Down", 2, ["each_event_scored_once", "state_stays_small"]),
        ("Una Untouched", 0, everything),
    ):
        candidate = await sign_up(client, name)
        people.append(
            (candidate, await sit(app, candidate, sessionmaker, right=right, failing=failing))
        )
    return Cohort(*people)


async def propose(author: Candidate, change: str = "drop", **body: Any) -> dict[str, Any]:
    payload = {
        "scenario_id": SCENARIO,
        "check": BROKEN,
        "change": change,
        "reason": "The judge rejects a correct late event.",
        **body,
    }
    r = await author.post("/api/v1/regrades", json=payload)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def apply(admin: Candidate, app: FastAPI, regrade_id: str) -> dict[str, Any]:
    r = await admin.post(
        f"/api/v1/regrades/{regrade_id}/apply", json={"reason": "Judge confirmed broken."}
    )
    assert r.status_code == 202, r.text
    await app.state.jobs.drain()
    return dict(r.json())


def moves(rows: list[dict[str, Any]]) -> dict[str, tuple[float, float, str]]:
    return {a["attempt_id"]: (a["old_score"], a["new_score"], a["outcome"]) for a in rows}


async def test_dropping_a_check_previews_what_applying_does(
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    regrade = await propose(author)
    assert regrade["target"] == "check" and regrade["scenario_version"] == 3
    assert (regrade["scenario_id"], regrade["check"], regrade["item_id"]) == (
        SCENARIO,
        BROKEN,
        None,
    )
    preview = (await author.get(f"/api/v1/regrades/{regrade['id']}/preview")).json()
    assert preview["impact"]["total"] == TOTALS
    previewed = moves(preview["attempts"])
    assert previewed == {
        cohort.gains[1]: (pytest.approx(0.5 + 4 / 11), 1.0, "changed"),
        cohort.crosses_up[1]: (pytest.approx(0.25 + 4 / 11), 0.75, "new_pass"),
        cohort.crosses_down[1]: (pytest.approx(0.5 + 5 / 22), 0.625, "pass_kept"),
    }
    assert await count(sessionmaker, RegradeResult) == 0

    await apply(admin, app, regrade["id"])
    detail = (await author.get(f"/api/v1/regrades/{regrade['id']}")).json()
    assert detail["regrade"]["status"] == "applied"
    assert detail["applied"]["total"] == preview["impact"]["total"]
    assert moves(detail["attempts"]) == previewed

    up = await result(*cohort.crosses_up)
    assert (up["score"], up["passed"]) == (0.75, True) and up["certificate_id"]
    assert (await result(*cohort.crosses_down))["passed"] is True
    assert (await result(*cohort.gains))["score"] == 1.0
    assert (await result(*cohort.untouched))["score"] == 0.0

    # Item analysis follows: the dropped check's outcomes are gone, the others stay.
    async with sessionmaker() as session:
        names = (await session.execute(select(CheckOutcome.check_name))).scalars().all()
        entries = (await session.execute(select(AuditEntry))).scalars().all()
        assert (await audit.verify(session)).intact
    assert BROKEN not in names and len(names) == 4 * 3
    applied = next(e for e in entries if e.action == "regrade_applied")
    assert (applied.details["check"], applied.details["change"]) == (BROKEN, "drop")
    assert [e.action for e in entries].count("regrade_rescored") == 3


async def test_awarding_a_check_gives_its_points_to_everyone_graded(
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    regrade = await propose(author, change="award")
    preview = (await author.get(f"/api/v1/regrades/{regrade['id']}/preview")).json()
    assert preview["impact"]["total"] == {
        **TOTALS,
        "below_pass_mark": 0,
        "passes_kept": 0,
    }
    previewed = moves(preview["attempts"])
    assert previewed[cohort.untouched[1]][1:] == (pytest.approx(3 / 22), "changed")
    assert cohort.crosses_down[1] not in previewed  # passed that check already
    await apply(admin, app, regrade["id"])
    detail = (await author.get(f"/api/v1/regrades/{regrade['id']}")).json()
    assert moves(detail["attempts"]) == previewed
    async with sessionmaker() as session:
        broken = (
            (await session.execute(select(CheckOutcome).where(CheckOutcome.check_name == BROKEN)))
            .scalars()
            .all()
        )
    assert len(broken) == 4 and all(c.passed == 1 for c in broken)


async def test_applying_twice_and_an_interrupted_apply_end_the_same(
    app: FastAPI,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    regrade = await propose(author)
    real = regrading_service.apply_batch
    calls = 0

    async def crash_in_the_second_batch(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        done = await real(*args, **kwargs)
        if calls == 2:
            raise RuntimeError("the worker died")  # after the batch's writes: rolled back
        return done

    monkeypatch.setattr(regrading_service, "apply_batch", crash_in_the_second_batch)
    await apply(admin, app, regrade["id"])
    detail = (await author.get(f"/api/v1/regrades/{regrade['id']}")).json()
    assert detail["regrade"]["status"] == "applying"
    assert detail["applied"]["total"]["affected"] == 1

    monkeypatch.setattr(regrading_service, "apply_batch", real)
    assert await regrading_service.resume_applying(sessionmaker, app.state.jobs) == 1
    await app.state.jobs.drain()
    detail = (await author.get(f"/api/v1/regrades/{regrade['id']}")).json()
    assert detail["regrade"]["status"] == "applied"
    assert detail["applied"]["total"] == TOTALS
    before = await snapshot(sessionmaker)

    again = await apply(admin, app, regrade["id"])
    assert again["status"] == "applied"
    await regrading_service.run_apply(
        sessionmaker, clock, app.state.certificates.issuer, uuid.UUID(regrade["id"]), batch=1
    )
    assert await snapshot(sessionmaker) == before
    async with sessionmaker() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
        names = (await session.execute(select(CheckOutcome.check_name))).scalars().all()
    assert actions.count("regrade_rescored") == 3
    assert BROKEN not in names and len(names) == 4 * 3


async def test_an_attempt_graded_after_the_apply_is_scored_under_the_correction(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    await apply(admin, app, (await propose(author))["id"])
    late = await sign_up(client, "Lee Late")
    attempt_id = await sit(app, late, sessionmaker, right=1, failing=[BROKEN])
    late_result = await result(late, attempt_id)
    assert (late_result["score"], late_result["passed"]) == (0.75, True)
    async with sessionmaker() as session:
        names = (
            (
                await session.execute(
                    select(CheckOutcome.check_name).where(
                        CheckOutcome.attempt_id == uuid.UUID(attempt_id)
                    )
                )
            )
            .scalars()
            .all()
        )
    assert sorted(names) == ["each_event_scored_once", "new_events_scored", "state_stays_small"]


async def test_check_regrades_who_may_and_refusals(
    app: FastAPI,
    clock: ManualClock,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    scenario_exam: None,
    author: Candidate,
    admin: Candidate,
) -> None:
    candidate = await sign_up(client, "Cas Candidate")
    body = {"scenario_id": SCENARIO, "check": BROKEN, "change": "award", "reason": "Broken."}
    r = await candidate.post("/api/v1/regrades", json=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    assert (await client.post("/api/v1/regrades", json=body)).status_code == 401
    regrade = await propose(author, change="award")
    r = await author.post(f"/api/v1/regrades/{regrade['id']}/apply", json={"reason": "Mine."})
    assert r.status_code == 403

    refusals = [
        ({**body, "scenario_id": "no-such-scenario"}, 404, "scenario_not_found"),
        ({**body, "check": "no_such_check"}, 409, "check_not_in_scenario"),
        ({**body, "change": "rekey"}, 422, "invalid_request"),
        ({**body, "item_id": "LIF-P-001"}, 422, "invalid_request"),
        ({**body, "scenario_id": None}, 422, "invalid_request"),
        ({"item_id": "LIF-P-001", "change": "award", "reason": "Nope."}, 422, "invalid_request"),
    ]
    for payload, status, code in refusals:
        r = await author.post("/api/v1/regrades", json=payload)
        assert r.status_code == status, (payload, r.text)
        if status != 422:
            assert r.json()["error"]["code"] == code

    # Every other check already dropped: dropping this one too would leave none.
    async with session_scope(sessionmaker) as session:
        for check in app.state.scenarios[SCENARIO].checks:
            if check.name != BROKEN:
                await grading_service.correct_check(
                    session, clock, CheckCorrection(SCENARIO, check.name, 3, "drop")
                )
    r = await author.post("/api/v1/regrades", json={**body, "change": "drop"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "last_check"


async def test_a_check_regrade_is_proposed_from_its_row_and_previewed_on_the_pages(
    client: httpx.AsyncClient, cohort: Cohort, author: Candidate
) -> None:
    from tests.proctoring.test_pages import HTML, browser_sign_in

    await browser_sign_in(client, author.email)
    exam = await client.get("/author/exams/test-checks", headers=HTML)
    assert exam.status_code == 200
    link = f"/author/regrades?scenario_id={SCENARIO}&amp;check={BROKEN}#check-form"
    assert f'href="{link}"' in exam.text
    listing = await client.get(link.replace("&amp;", "&"), headers=HTML)
    assert (
        f'id="check-scenario" name="scenario_id" type="text" required maxlength="64" autocomplete="off" value="{SCENARIO}"'
        in listing.text
    )
    assert f'value="{BROKEN}"' in listing.text

    regrade = await propose(author)
    page = await client.get(f"/author/regrades/{regrade['id']}", headers=HTML)
    assert f"Regrade of check {BROKEN} of {SCENARIO}" in page.text
    assert "Drop the check from scoring" in page.text
    assert f"Scenario {SCENARIO} up to version 3" in page.text
    total = page.text.split('id="impact-total"')[1].split("</tr>")[0]
    assert [c.split("</td>")[0] for c in total.split("<td>")[1:]] == ["4", "3", "1", "1", "1", "0"]
    assert "Now passes" in page.text and "75.0%" in page.text
    listing = await client.get("/author/regrades", headers=HTML)
    assert f"{SCENARIO}: {BROKEN}" in listing.text
    client.cookies.clear()


async def test_the_review_shows_each_check_under_the_correction_in_force(
    app: FastAPI,
    client: httpx.AsyncClient,
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    from tests.proctoring.test_pages import HTML, browser_sign_in

    dropped = await propose(author)
    await apply(admin, app, dropped["id"])
    awarded = await propose(
        author, change="award", check="state_stays_small", reason="The size limit is wrong."
    )
    await apply(admin, app, awarded["id"])

    # Dan failed each_event_scored_once (4) and state_stays_small (2), passed the
    # dropped check (3) and new_events_scored (2): 5 of 11 as graded, 4 of 8 now.
    down = cohort.crosses_down[1]
    detail = (await admin.get(f"/api/v1/review/attempts/{down}")).json()
    [grading] = detail["grading"]
    assert grading["score"] == pytest.approx(5 / 11, abs=1e-6)
    assert grading["corrected_score"] == 0.5
    checks = {c["name"]: c for c in grading["checks"]}
    assert checks[BROKEN] == {
        "name": BROKEN,
        "public": False,
        "message": "",
        "points": 3,
        "passed": True,
        "earned": 3.0,
        "passed_after": None,
        "earned_after": None,
        "correction": {
            "change": "drop",
            "regrade_id": dropped["id"],
            "reason": "The judge rejects a correct late event.",
        },
    }
    small = checks["state_stays_small"]
    assert (small["passed"], small["passed_after"], small["earned_after"]) == (False, True, 2.0)
    assert small["correction"] == {
        "change": "award",
        "regrade_id": awarded["id"],
        "reason": "The size limit is wrong.",
    }
    once = checks["each_event_scored_once"]
    assert (once["passed"], once["passed_after"], once["correction"]) == (False, False, None)
    # The raw record stays as the grader wrote it.
    assert {c["name"] for c in grading["record"]["checks"]} == set(checks)

    await browser_sign_in(client, admin.email)
    page = await client.get(f"/review/attempts/{down}", headers=HTML)
    assert page.status_code == 200
    assert "score as graded 45.5%, corrected score 50.0% (the one the result counts)" in page.text
    assert (
        f"<s>{BROKEN}</s>" in page.text
        and f"<s>Passed</s> Not scored, dropped by regrade <code>{dropped['id']}</code>: "
        "The judge rejects a correct late event."
        in page.text
    )
    assert (
        f"<s>Failed</s> Passed, awarded by regrade <code>{awarded['id']}</code>: "
        "The size limit is wrong." in page.text
    )
    client.cookies.clear()
