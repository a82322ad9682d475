"""Reviewing a practical attempt: the candidate's scenario changes as unified diffs
against the workspace, the grading record, a large paste, and two candidates whose
submissions share work of their own shown side by side.

The app has one scenario installed, so every practical attempt draws it."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.models import AttemptItem
from app.config import Settings
from app.core.clock import ManualClock
from app.core.db import session_scope
from app.grading.scenarios import Scenario
from tests.attempts.helpers import keyed_labels
from tests.conftest import REPO, Candidate
from tests.proctoring.conftest import new_candidate

SCENARIO = "leaky-scaler"
FIXED = "prep.py"  # the file its reference fix edits
# Work of the candidate's own, in neither the workspace nor the solution.
OWN_HELPER = '''

def describe_split(train_rows, test_rows):
    """Report how many rows each side of the split holds, for the run log."""
    summary = {"train": len(train_rows), "test": len(test_rows)}
    ratio = summary["test"] / max(1, summary["train"] + summary["test"])
    return {**summary, "test_ratio": round(ratio, 3), "checked": True}
'''


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    root = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios" / SCENARIO, root / SCENARIO)
    return settings.model_copy(update={"scenarios": root})


async def sit(
    app: FastAPI,
    candidate: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    *,
    extra: str = "",
    paste: int = 0,
) -> tuple[dict[str, Any], str, Scenario]:
    """Starts, answers the questions right, submits the reference fix of the attempt's
    variant (plus ``extra``) and waits for the hidden grading."""
    attempt = (await candidate.post("/api/v1/exams/test-practical/attempts")).json()
    base = f"/api/v1/attempts/{attempt['id']}"
    [ref] = [i["ref"] for i in attempt["items"] if i["kind"] == "scenario"]
    async with session_scope(sessionmaker) as session:
        items = await session.execute(
            select(AttemptItem).where(AttemptItem.attempt_id == uuid.UUID(attempt["id"]))
        )
        [params] = [i.scenario_params for i in items.scalars() if i.kind == "scenario"]
    scenario: Scenario = app.state.scenarios[SCENARIO]
    if params:
        scenario = scenario.variant(params)
    files = {p: t + extra for p, t in scenario.solution_files.items() if p in scenario.editable}
    if paste:
        r = await candidate.post(
            f"{base}/events",
            json={"type": "paste", "data": {"ref": ref, "path": FIXED, "length": paste}},
        )
        assert r.status_code == 201
    clock.advance(minutes=20)  # time enough to read the two questions
    assert (
        await candidate.put(f"{base}/responses/{ref}", json={"files": files, "seq": 1})
    ).status_code == 200
    for item_ref, labels in (await keyed_labels(sessionmaker, attempt["id"])).items():
        await candidate.put(f"{base}/responses/{item_ref}", json={"choices": labels, "seq": 1})
    assert (await candidate.post(f"{base}/submit")).status_code == 202
    await app.state.jobs.drain()
    return attempt, ref, scenario


async def test_scenario_changes_show_as_diffs_with_the_grading_record(
    app: FastAPI,
    client: httpx.AsyncClient,
    practical: None,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    candidate = await new_candidate(client)
    attempt, ref, scenario = await sit(app, candidate, sessionmaker, clock, paste=2400)
    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    assert (result["status"], result["passed"], result["certificate_id"]) == (
        "under_review",
        True,
        None,
    )

    detail = (await proctor.get(f"/api/v1/review/attempts/{attempt['id']}")).json()
    [paste] = [f for f in detail["flags"] if f["rule"] == "large_paste"]
    assert paste["severity"] == "high" and paste["evidence"]["largest"] == 2400

    [changes] = detail["scenarios"]
    assert (changes["ref"], changes["scenario_id"]) == (ref, SCENARIO)
    [diff] = changes["files"]
    assert diff["path"] == FIXED
    lines = diff["diff"].splitlines()
    assert lines[:2] == [f"--- workspace/{FIXED}", f"+++ submitted/{FIXED}"]
    assert any(line.startswith("@@ ") for line in lines)
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    removed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    workspace = scenario.workspace_files[FIXED].splitlines()
    solution = scenario.solution_files[FIXED].splitlines()
    assert added and all(line in solution for line in added)
    assert removed and all(line in workspace for line in removed)

    [grading] = detail["grading"]
    assert grading["status"] == "done" and grading["score"] == 1.0
    assert {c["name"] for c in grading["record"]["checks"]} == {c.name for c in scenario.checks}
    # The grading record names the same receipt as the result: that of what was graded.
    assert result["receipt"] is not None
    assert grading["receipt"] == detail["attempt"]["receipt"] == result["receipt"]
    kinds = {t["kind"] for t in detail["timeline"]}
    assert {"started", "event", "save", "submitted", "grading", "scored", "flag"} <= kinds


async def test_two_candidates_with_the_same_own_work_are_flagged_as_a_pair(
    app: FastAPI,
    client: httpx.AsyncClient,
    practical: None,
    proctor: Candidate,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    first, second = (
        await new_candidate(client, "Ann First"),
        await new_candidate(client, "Bo Second"),
    )
    honest = await new_candidate(client, "Cy Honest")
    a, _, _ = await sit(app, first, sessionmaker, clock, extra=OWN_HELPER)
    c, _, _ = await sit(app, honest, sessionmaker, clock)  # the reference fix alone
    # The second one renames nothing and reformats a little.
    b, ref_b, _ = await sit(
        app,
        second,
        sessionmaker,
        clock,
        extra=OWN_HELPER.replace("    ", "\t").replace("for the run log", "for the log"),
    )
    first_result = (await first.get(f"/api/v1/attempts/{a['id']}/result")).json()
    assert first_result["certificate_id"]  # graded before anyone was like it
    second_result = (await second.get(f"/api/v1/attempts/{b['id']}/result")).json()
    assert (second_result["status"], second_result["certificate_id"]) == ("under_review", None)
    honest_result = (await honest.get(f"/api/v1/attempts/{c['id']}/result")).json()
    assert honest_result["certificate_id"]  # the same fix as everyone is no evidence

    detail = (await proctor.get(f"/api/v1/review/attempts/{b['id']}")).json()
    [flag] = [f for f in detail["flags"] if f["rule"] == "similar_submission"]
    assert flag["severity"] == "high"
    assert flag["evidence"]["peer_attempt_id"] == a["id"]
    assert flag["evidence"]["similarity"] >= 0.8
    [pair] = detail["similar"]
    assert pair["other_attempt_id"] == a["id"]
    assert pair["other_candidate"]["name"] == "Ann First"
    [side] = pair["files"]
    assert side["path"] == FIXED
    assert "describe_split" in side["this"] and "describe_split" in side["other"]
    assert pair["ref"] == ref_b

    # The first candidate's attempt hears of it too, and joins the queue.
    mirrored = (await proctor.get(f"/api/v1/review/attempts/{a['id']}")).json()
    [back] = [f for f in mirrored["flags"] if f["rule"] == "similar_submission"]
    assert back["evidence"]["peer_attempt_id"] == b["id"]
    queued = {e["attempt_id"] for e in (await proctor.get("/api/v1/review/attempts")).json()}
    assert {a["id"], b["id"]} <= queued
    assert c["id"] not in queued
