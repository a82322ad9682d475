"""The real question bank: valid, big enough, and its README summary current."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.cli import content_report
from app.core.clock import ManualClock
from app.core.db import session_scope
from app.core.program import DOMAINS
from app.exams import service as exams_service
from app.exams.content import load_bank
from app.exams.cues import CUE_MAX_GAIN_POINTS
from app.exams.difficulty import ScenarioEstimate
from app.exams.validation import summary_table, validate_bank
from app.grading.scenarios import load_scenarios
from tests.attempts.helpers import keyed_labels, wrong_labels
from tests.conftest import sign_up

BANK = Path(__file__).resolve().parents[2] / "question_bank"


def test_the_bank_validates() -> None:
    report = validate_bank(BANK)
    assert [str(p) for p in report.problems] == []


def test_the_bank_is_big_enough_for_three_forms_of_every_exam() -> None:
    report = validate_bank(BANK)
    items = [i for i in report.bank.items.values() if i.status == "active"]
    assert len(items) >= 390
    for domain in DOMAINS:
        assert sum(i.domain == domain for i in items) >= 24, domain
    assert set(report.forms_available) == {
        "mlops-foundation",
        "mlops-foundation-renewal",
        "mlops-professional",
        "mlops-professional-renewal",
        "mlops-advanced",
        "mlops-advanced-renewal",
        "mlops-security",
        "mlops-security-renewal",
    }
    for code, forms in report.forms_available.items():
        assert forms >= 3, code


def test_no_wording_strategy_beats_blind_guessing() -> None:
    """PROGRAM.md: a candidate who reads only the options' wording, and a classifier
    trained on half the bank, do no better than blind guessing (within 5 points) on
    the whole bank and on every exam's pool."""
    cues = validate_bank(BANK).cues
    assert cues is not None
    columns = {"bank": sorted(cues.chance), **cues.pools}
    over = [
        f"{strategy} on {label}: {cues.result(strategy, ids).gain_points:+.1f} points"
        for strategy in cues.strategies
        for label, ids in columns.items()
        if cues.result(strategy, ids).gain_points > CUE_MAX_GAIN_POINTS
    ]
    assert over == []


def test_every_form_sits_on_its_pass_mark() -> None:
    """A minimally qualified candidate's expected score on every sampled form of every
    exam is within 3 points of its pass mark (scenarios at their own estimates)."""
    scenarios = load_scenarios(BANK.parent / "scenarios").values()
    estimates = [ScenarioEstimate(s.id, s.domain, s.level, s.difficulty) for s in scenarios]
    report = validate_bank(BANK, scenarios=estimates)
    assert set(report.form_scores) == set(report.bank.blueprints)
    off = {
        code: f"{100 * r.low:.1f}-{100 * r.high:.1f}% against {100 * r.pass_mark:.0f}%"
        for code, r in report.form_scores.items()
        if r.off_mark()
    }
    assert off == {}


def test_readme_summary_is_current() -> None:
    readme = (BANK / "README.md").read_text()
    # Each scenario's run (and mutation testing) is tested in test_scenarios.py.
    report, problems = content_report(BANK, BANK.parent / "scenarios", run_scenarios=False)
    assert problems == []
    assert summary_table(report) in readme, (
        "question_bank/README.md is out of date: paste the summary from "
        "`assay content validate` into it"
    )


async def test_a_candidate_passes_the_real_foundation_exam(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    async with session_scope(sessionmaker) as session:
        await exams_service.publish_bank(session, clock, load_bank(BANK))
    candidate = await sign_up(client, name="Katherine Johnson")
    started = await candidate.post("/api/v1/exams/mlops-foundation/attempts")
    assert started.status_code == 201, started.text
    attempt = started.json()
    assert len(attempt["items"]) == 40
    keys = await keyed_labels(sessionmaker, attempt["id"])
    for index, slot in enumerate(attempt["items"]):
        item = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/items/{slot['ref']}")).json()
        assert item["stem"] and len(item["options"]) in (4, 5)
        choice = keys[slot["ref"]] if index < 29 else wrong_labels(keys[slot["ref"]])
        r = await candidate.put(
            f"/api/v1/attempts/{attempt['id']}/responses/{slot['ref']}",
            json={"choices": choice, "seq": 1},
        )
        assert r.status_code == 200, r.text
    await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")
    result = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/result")).json()
    assert result["score"] == 29 / 40  # 72.5%
    assert result["passed"] is True
    verified = (await client.get(f"/api/v1/verify/{result['certificate_id']}")).json()
    assert verified["title"] == "MLOps Foundation"
    assert verified["expires_on"] == "2029-03-02"
