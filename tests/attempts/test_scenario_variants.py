"""Each attempt gets its own variant of a scenario with parameters: the files it shows,
the reference it is graded against and the stored parameters all follow the attempt."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.models import AttemptItem
from app.core.db import session_scope
from app.grading.models import PipelineRun, ScenarioRun
from app.grading.scenarios import load_scenario
from tests.conftest import Candidate, sign_up
from tests.grading.toy_variant import build

pytestmark = pytest.mark.sandbox


async def test_two_attempts_get_different_variants_graded_as_their_own(
    app: FastAPI,
    candidate: Candidate,
    practical: None,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    toy = load_scenario(build(tmp_path))
    app.state.scenarios.clear()
    app.state.scenarios[toy.id] = toy
    # Attempt seeds chosen so that the two variants differ (draws are deterministic).
    seed = {"now": 3}
    assert toy.draw_params(3) != toy.draw_params(4)
    app.state.seeds = SimpleNamespace(next_seed=lambda: seed["now"])
    other = await sign_up(candidate.client, name="Grace Hopper")
    views = []
    for who, attempt_seed in ((candidate, 3), (other, 4)):
        seed["now"] = attempt_seed
        r = await who.post("/api/v1/exams/test-practical/attempts")
        assert r.status_code == 201, r.text
        attempt = r.json()
        [ref] = [i["ref"] for i in attempt["items"] if i["kind"] == "scenario"]
        item = (await who.get(f"/api/v1/attempts/{attempt['id']}/items/{ref}")).json()
        views.append((who, attempt["id"], ref, item))

    async with session_scope(sessionmaker) as session:
        stored = {
            str(i.attempt_id): i.scenario_params
            for i in (await session.execute(select(AttemptItem))).scalars()
            if i.kind == "scenario"
        }
    params = [stored[attempt_id] for _, attempt_id, _, _ in views]
    assert params == [toy.draw_params(3), toy.draw_params(4)]
    for (_, _, _, item), p in zip(views, params, strict=True):
        variant = toy.variant(p)
        assert item["files"] == variant.workspace_files
        assert item["brief"] == variant.brief
        assert "{{" not in item["brief"]

    # Each candidate submits the first candidate's correct fix: it is right only there.
    shared = toy.variant(params[0]).solution_files
    scores = []
    for who, attempt_id, ref, _ in views:
        base = f"/api/v1/attempts/{attempt_id}"
        saved = await who.put(f"{base}/responses/{ref}", json={"files": shared, "seq": 1})
        assert saved.status_code == 200, saved.text
        run_id = (await who.post(f"{base}/scenarios/{ref}/runs")).json()["run_id"]
        await app.state.jobs.drain()
        run = (await who.get(f"{base}/scenarios/{ref}/runs/{run_id}")).json()
        assert run["status"] == "done"
        scores.append(all(c["passed"] for c in run["checks"]))
    assert scores == [True, False]
    async with session_scope(sessionmaker) as session:
        runs = (await session.execute(select(ScenarioRun))).scalars().all()
        assert sorted(str(r.params) for r in runs) == sorted(str(p) for p in params)
        assert all(r.record and r.record["params"] == r.params for r in runs)


async def test_a_pipeline_run_runs_the_attempts_own_variant(
    app: FastAPI,
    candidate: Candidate,
    practical: None,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    """The params are stored on the run and the sandbox gets the rendered workspace: each
    candidate's `python run.py` prints their own column and limit, never a placeholder,
    even when the job runs after the app's scenario object is the template again."""
    toy = load_scenario(build(tmp_path))
    app.state.scenarios.clear()
    app.state.scenarios[toy.id] = toy
    assert toy.draw_params(3) != toy.draw_params(4)
    seed = {"now": 3}
    app.state.seeds = SimpleNamespace(next_seed=lambda: seed["now"])
    other = await sign_up(candidate.client, name="Grace Hopper")
    outputs = {}
    for who, attempt_seed in ((candidate, 3), (other, 4)):
        seed["now"] = attempt_seed
        attempt = (await who.post("/api/v1/exams/test-practical/attempts")).json()
        [ref] = [i["ref"] for i in attempt["items"] if i["kind"] == "scenario"]
        base = f"/api/v1/attempts/{attempt['id']}"
        item = (await who.get(f"{base}/items/{ref}")).json()
        assert item["pipeline_command"] == "python run.py"
        queued = await who.post(f"{base}/scenarios/{ref}/pipeline-runs")
        assert queued.status_code == 202, queued.text
        await app.state.jobs.drain()
        run = (
            await who.get(f"{base}/scenarios/{ref}/pipeline-runs/{queued.json()['run_id']}")
        ).json()
        assert run["status"] == "done" and run["exit_code"] == 0, run
        outputs[attempt_seed] = run["stdout"]

    for attempt_seed, stdout in outputs.items():
        p = toy.draw_params(attempt_seed)
        assert stdout == f"alert on {p['column']} above {p['limit']}\n"
    async with session_scope(sessionmaker) as session:
        runs = (await session.execute(select(PipelineRun))).scalars().all()
        stored = sorted((r.params for r in runs), key=lambda p: sorted(p.items()))
        want = sorted((toy.draw_params(s) for s in (3, 4)), key=lambda p: sorted(p.items()))
        assert stored == want
