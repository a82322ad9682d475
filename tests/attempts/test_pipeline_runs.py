"""Pipeline runs during a scenario: the workspace's entry command on the candidate's
saved files, in the real sandbox, output capped and time-limited, a budget of its own,
the attempt's rules (deadline, owner), and a line in the proctor's timeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.core.clock import ManualClock
from app.core.jobs import Urgency
from app.grading import pipeline_runs
from app.grading.exceptions import SandboxStartError
from app.grading.pipeline import OUTPUT_BYTES
from app.identity.models import Role
from tests.conftest import Candidate, sign_up
from tests.pipeline_scenario import write_order_summary
from tests.proctoring.conftest import staff_member

pytestmark = pytest.mark.sandbox


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The app's scenarios are one scenario with a pipeline, so the exam draws it."""
    yield settings.model_copy(update={"scenarios": write_order_summary(tmp_path / "scenarios")})


async def _start(candidate: Candidate) -> tuple[str, str]:
    r = await candidate.post("/api/v1/exams/test-practical/attempts")
    assert r.status_code == 201, r.text
    attempt = r.json()
    [ref] = [i["ref"] for i in attempt["items"] if i["kind"] == "scenario"]
    return f"/api/v1/attempts/{attempt['id']}", ref


async def _run(app: FastAPI, candidate: Candidate, base: str, ref: str) -> dict[str, Any]:
    queued = await candidate.post(f"{base}/scenarios/{ref}/pipeline-runs")
    assert queued.status_code == 202, queued.text
    await app.state.jobs.drain()
    got = await candidate.get(f"{base}/scenarios/{ref}/pipeline-runs/{queued.json()['run_id']}")
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


async def _save(candidate: Candidate, base: str, ref: str, text: str, seq: int) -> None:
    r = await candidate.put(
        f"{base}/responses/{ref}", json={"files": {"pipeline.py": text}, "seq": seq}
    )
    assert r.status_code == 200, r.text


async def test_a_run_shows_the_workspace_output_and_an_edit_changes_it(
    app: FastAPI, candidate: Candidate, practical: None
) -> None:
    base, ref = await _start(candidate)
    item = (await candidate.get(f"{base}/items/{ref}")).json()
    assert item["pipeline_command"] == "python run.py --day tuesday"
    assert item["pipeline_runs_left"] == 3

    run = await _run(app, candidate, base, ref)
    assert run["status"] == "done"
    assert run["command"] == "python run.py --day tuesday"
    assert run["exit_code"] == 0 and run["timed_out"] is False
    assert run["stdout"] == "day=tuesday total=12\n"
    assert run["stderr"] == "warning: 2 rows skipped\n"
    assert run["truncated"] is False and run["duration_ms"] >= 0

    await _save(candidate, base, ref, "def summary(values):\n    return max(values)\n", 1)
    run = await _run(app, candidate, base, ref)
    assert run["stdout"] == "day=tuesday total=5\n"

    # A failure is reported as python would, from the candidate's own files.
    await _save(candidate, base, ref, "def summary(values):\n    return values[9]\n", 2)
    run = await _run(app, candidate, base, ref)
    assert run["exit_code"] == 1 and run["stdout"] == ""
    assert 'File "/' in run["stderr"] and 'pipeline.py", line 2' in run["stderr"]
    assert run["stderr"].rstrip().endswith("IndexError: list index out of range")
    assert "driver" not in run["stderr"]

    # Its own budget: public-check runs are untouched.
    item = (await candidate.get(f"{base}/items/{ref}")).json()
    assert item["pipeline_runs_left"] == 0 and item["runs_left"] == 3


async def test_the_budget_runs_out_with_its_own_code(
    app: FastAPI, candidate: Candidate, practical: None
) -> None:
    base, ref = await _start(candidate)
    for _ in range(3):
        assert (await candidate.post(f"{base}/scenarios/{ref}/pipeline-runs")).status_code == 202
    await app.state.jobs.drain()
    refused = await candidate.post(f"{base}/scenarios/{ref}/pipeline-runs")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "no_pipeline_runs_left"
    # The public checks have a budget of their own.
    assert (await candidate.post(f"{base}/scenarios/{ref}/runs")).status_code == 202
    await app.state.jobs.drain()


async def test_a_run_the_sandbox_could_not_start_is_not_counted(
    app: FastAPI, candidate: Candidate, practical: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise SandboxStartError("no sandbox")

    monkeypatch.setattr(pipeline_runs, "run_pipeline", broken)
    base, ref = await _start(candidate)
    run = await _run(app, candidate, base, ref)
    assert run["status"] == "error" and run["stdout"] == "" and run["exit_code"] is None
    assert (await candidate.get(f"{base}/items/{ref}")).json()["pipeline_runs_left"] == 3


async def test_after_the_deadline_the_attempt_is_closed(
    app: FastAPI, candidate: Candidate, practical: None, clock: ManualClock
) -> None:
    base, ref = await _start(candidate)
    state = (await candidate.get(base)).json()
    clock.advance(seconds=state["remaining_seconds"] + 60)
    refused = await candidate.post(f"{base}/scenarios/{ref}/pipeline-runs")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "attempt_closed"


async def test_another_candidates_attempt_is_not_found(
    app: FastAPI, candidate: Candidate, practical: None
) -> None:
    base, ref = await _start(candidate)
    run_id = (await candidate.post(f"{base}/scenarios/{ref}/pipeline-runs")).json()["run_id"]
    await app.state.jobs.drain()
    other = await sign_up(candidate.client, name="Grace Hopper")
    for response in (
        await other.post(f"{base}/scenarios/{ref}/pipeline-runs"),
        await other.get(f"{base}/scenarios/{ref}/pipeline-runs/{run_id}"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "attempt_not_found"
    # A public-check run's id is not a pipeline run, nor is a run of another item.
    wrong = await candidate.get(f"{base}/scenarios/nope/pipeline-runs/{run_id}")
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "run_not_found"


async def test_output_is_capped_and_says_so(
    app: FastAPI, candidate: Candidate, practical: None
) -> None:
    base, ref = await _start(candidate)
    flood = (
        "import sys\n\n\ndef summary(values):\n"
        "    sys.stderr.write('e' * 300_000)\n"
        "    print('\\x00' + 'o' * 300_000)\n"
        "    return 0\n"
    )
    await _save(candidate, base, ref, flood, 1)
    run = await _run(app, candidate, base, ref)
    assert run["status"] == "done" and run["truncated"] is True
    assert len(run["stdout"].encode()) <= OUTPUT_BYTES + 3  # one replaced NUL: 3 bytes
    assert len(run["stderr"]) == OUTPUT_BYTES
    assert run["stdout"].startswith("\ufffdooo")  # PostgreSQL stores no NUL


async def test_a_hanging_pipeline_is_stopped_at_the_limit_and_reported(
    app: FastAPI, candidate: Candidate, practical: None
) -> None:
    base, ref = await _start(candidate)
    hang = "def summary(values):\n    print('started', flush=True)\n    while True:\n        pass\n"
    await _save(candidate, base, ref, hang, 1)
    run = await _run(app, candidate, base, ref)
    assert run["status"] == "done"
    assert run["timed_out"] is True and run["exit_code"] is None
    assert run["stdout"] == "started\n"


async def test_the_proctor_timeline_shows_pipeline_runs(
    app: FastAPI,
    candidate: Candidate,
    practical: None,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    proctor = await staff_member(candidate.client, sessionmaker, clock, Role.proctor, "Pat Proctor")
    base, ref = await _start(candidate)
    run = await _run(app, candidate, base, ref)
    attempt_id = base.rsplit("/", 1)[1]
    detail = (await proctor.get(f"/api/v1/review/attempts/{attempt_id}")).json()
    [entry] = [t for t in detail["timeline"] if t["type"] == "pipeline_run"]
    assert entry["kind"] == "run"
    assert entry["summary"] == (
        f"Pipeline run on {ref} (python run.py --day tuesday): exit 0 in {run['duration_ms']} ms"
    )
    assert entry["data"]["status"] == "done"


async def test_a_run_a_stopped_process_left_behind_is_given_up_and_not_counted(
    app: FastAPI,
    candidate: Candidate,
    practical: None,
    clock: ManualClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The job never runs: the process that queued it "stopped".
    async def lost(name: str, payload: dict[str, Any], *, urgency: Urgency | None = None) -> None:
        return None

    monkeypatch.setattr(app.state.jobs, "submit", lost)
    base, ref = await _start(candidate)
    run_id = (await candidate.post(f"{base}/scenarios/{ref}/pipeline-runs")).json()["run_id"]
    url = f"{base}/scenarios/{ref}/pipeline-runs/{run_id}"
    assert (await candidate.get(url)).json()["status"] == "queued"
    assert (await candidate.get(f"{base}/items/{ref}")).json()["pipeline_runs_left"] == 2

    clock.advance(minutes=4)
    assert await pipeline_runs.give_up_stalled(sessionmaker, clock) == 0
    clock.advance(minutes=2)
    assert await pipeline_runs.give_up_stalled(sessionmaker, clock) == 1
    assert (await candidate.get(url)).json()["status"] == "error"
    assert (await candidate.get(f"{base}/items/{ref}")).json()["pipeline_runs_left"] == 3
