"""The authors' pages: who may open them, the bank with its flags, an item's distractor
table and facility over time (SVG with title and desc, and a table), an exam's
histogram, reliability and decision consistency; and outcomes recorded at scoring."""

from __future__ import annotations

import html
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.authoring import service
from app.authoring.models import ItemOutcome
from app.core.clock import ManualClock
from app.core.db import session_scope
from app.exams.models import ItemVersion
from app.identity.models import Role, User
from app.web.authoring import _sorted
from tests.attempts.helpers import keyed_labels
from tests.authoring.simulation import MISKEYED, seed
from tests.conftest import Candidate, sign_up
from tests.web.test_router import HTML, browser_sign_in


async def _with_role(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], role: Role
) -> Candidate:
    user = await sign_up(client, name=f"Some {role.value.capitalize()}")
    async with session_scope(sessionmaker) as session:
        await session.execute(update(User).where(User.email == user.email).values(role=role))
    await browser_sign_in(client, user)
    return user


@pytest.fixture
async def simulated(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    """120 simulated attempts, recorded; returns the mis-keyed item's version id."""
    async with session_scope(sessionmaker) as session:
        await seed(session, candidates=120, clean_items=6, seed=5)
    async with session_scope(sessionmaker) as session:
        await service.record_outcomes(session)
        found = await session.execute(select(ItemVersion.id).where(ItemVersion.item_id == MISKEYED))
        return found.scalar_one()


async def test_candidates_are_refused_and_strangers_sent_to_sign_in(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    simulated: uuid.UUID,
) -> None:
    for path in ("/author/items", f"/author/items/{simulated}", "/author/exams/sim-exam"):
        anonymous = await client.get(path, headers=HTML)
        assert anonymous.status_code in (302, 303), path
        assert "/sign-in" in anonymous.headers["location"]
    await _with_role(client, sessionmaker, Role.candidate)
    for path in ("/author/items", f"/author/items/{simulated}", "/author/exams/sim-exam"):
        refused = await client.get(path, headers=HTML)
        assert refused.status_code == 403, path
        assert "Only authors and admins" in refused.text
        assert "SIM-" not in refused.text
    await _with_role(client, sessionmaker, Role.proctor)
    assert (await client.get("/author/items", headers=HTML)).status_code == 403


@pytest.mark.parametrize("role", [Role.author, Role.admin])
async def test_the_bank_shows_the_flagged_item_with_its_reason(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    simulated: uuid.UUID,
    role: Role,
) -> None:
    await _with_role(client, sessionmaker, role)
    page = await client.get("/author/items?exam=sim-exam&sort=facility&order=desc", headers=HTML)
    assert page.status_code == 200
    assert "Item analysis" in page.text  # and in the menu
    assert "Domain: lifecycle" in page.text
    row = re.search(
        rf'<tr class="flagged">\s*<td><a href="/author/items/{simulated}">.*?</tr>', page.text, re.S
    )
    assert row is not None
    assert "Likely mis-keyed" in row.group(0)
    assert "the upper group chose distractor" in row.group(0)
    assert 'aria-sort="descending"' in page.text
    facilities = [
        float(f)
        for f in re.findall(
            r'</td>\s*<td class="num">\d+</td>\s*<td class="num">([01]\.\d\d)</td>', page.text
        )
    ]
    assert len(facilities) == 8
    assert facilities == sorted(facilities, reverse=True)
    ascending = await client.get("/author/items?exam=sim-exam&sort=facility", headers=HTML)
    assert 'aria-sort="ascending"' in ascending.text
    by_time = await client.get("/author/items?exam=sim-exam&sort=median_seconds", headers=HTML)
    assert "Median time to first answer" in by_time.text
    medians = [int(m) for m in re.findall(r'<td class="num">(\d+) s</td>', by_time.text)]
    assert len(medians) == 8 and medians == sorted(medians) and medians[0] > 0


async def test_statistics_wait_for_the_minimum_n(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with session_scope(sessionmaker) as session:
        await seed(session, candidates=20, clean_items=2, seed=3)
    async with session_scope(sessionmaker) as session:
        await service.record_outcomes(session)
    await _with_role(client, sessionmaker, Role.author)
    page = await client.get("/author/items?exam=sim-exam", headers=HTML)
    assert page.text.count("Fewer than 50 responses: not shown yet") == 4
    assert 'class="flagged"' not in page.text
    exam = await client.get("/author/exams/sim-exam", headers=HTML)
    assert "shown from 50 scored attempts" in exam.text
    assert "KR-20" not in exam.text.split("<h2")[1]


async def test_item_page_has_distractors_and_an_accessible_plot(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    simulated: uuid.UUID,
) -> None:
    await _with_role(client, sessionmaker, Role.author)
    page = await client.get(f"/author/items/{simulated}", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "<p>Question SIM-MISKEY?</p>" in text  # the Markdown as HTML, not escaped
    assert 'id="distractors"' in text and "(key)" in text
    assert re.search(r"Median time to first answer.{0,80}</dt><dd>\d+\.\d s</dd>", text)
    assert re.search(r"Mean time to first answer.{0,80}</dt><dd>\d+\.\d s</dd>", text)
    svg = re.search(r'<svg class="chart".*?</svg>', text, re.S)
    assert svg is not None
    labelled = re.search(r'aria-labelledby="(\S+) (\S+)"', svg.group(0))
    assert labelled is not None
    assert f'<title id="{labelled.group(1)}">Facility over time' in svg.group(0)
    assert f'<desc id="{labelled.group(2)}">' in svg.group(0)
    assert 'role="img"' in svg.group(0)
    assert "style=" not in svg.group(0)  # the CSP admits no inline style
    table = re.search(r'<table class="table stats" id="over-time">.*?</table>', text, re.S)
    assert (
        table is not None and "baseline" in table.group(0) and "first-time takers" in table.group(0)
    )
    assert (await client.get(f"/author/items/{uuid.uuid4()}", headers=HTML)).status_code == 404


async def test_exam_page_has_histogram_reliability_and_consistency(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    simulated: uuid.UUID,
) -> None:
    await _with_role(client, sessionmaker, Role.author)
    page = await client.get("/author/exams/sim-exam", headers=HTML)
    assert page.status_code == 200
    assert "KR-20" in page.text and "Standard error of measurement" in page.text
    assert re.search(
        r'Decision consistency <span class="unit">\(agreement 0 to 1, kappa\)</span></dt>'
        r"<dd>0\.\d{3} agreement, kappa",
        page.text,
    )
    assert re.search(r'<svg class="chart"[^>]*data-chart="histogram"', page.text)
    assert "pass mark</text>" in page.text
    assert (await client.get("/author/exams/no-such-exam", headers=HTML)).status_code == 404


async def test_outcomes_are_recorded_when_the_attempt_is_scored(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client)
    attempt = (await candidate.post("/api/v1/exams/test-foundation/attempts")).json()
    keys = await keyed_labels(sessionmaker, attempt["id"])
    answered = attempt["items"][:3]
    for slot in answered:
        clock.advance(seconds=25)
        saved = await candidate.put(
            f"/api/v1/attempts/{attempt['id']}/responses/{slot['ref']}",
            json={"choices": keys[slot["ref"]], "seq": 1},
        )
        assert saved.status_code == 200, saved.text
    # A second pass over the first item: its time stays the time to its first answer.
    clock.advance(seconds=100)
    again = await candidate.put(
        f"/api/v1/attempts/{attempt['id']}/responses/{answered[0]['ref']}",
        json={"choices": keys[answered[0]["ref"]], "flagged": True, "seq": 2},
    )
    assert again.status_code == 200, again.text
    assert (await candidate.post(f"/api/v1/attempts/{attempt['id']}/submit")).status_code == 202
    async with session_scope(sessionmaker) as session:
        rows = (
            (
                await session.execute(
                    select(ItemOutcome).where(ItemOutcome.attempt_id == uuid.UUID(attempt["id"]))
                )
            )
            .scalars()
            .all()
        )
        by_ref = {r.ref: r for r in rows}
        assert len(rows) == len(attempt["items"])
        for slot in answered:
            assert by_ref[slot["ref"]].correct == 1
            assert by_ref[slot["ref"]].answer_seconds == 25.0
            assert by_ref[slot["ref"]].repeat_taker == 0
            assert by_ref[slot["ref"]].scored_at is not None
        unanswered = [r for r in rows if r.ref not in {s["ref"] for s in answered}]
        assert unanswered and all(r.correct == 0 and r.answer == "" for r in unanswered)
        assert all(r.answer_seconds is None for r in unanswered)
        # Nothing left for the catch-up pass.
        assert await service.record_outcomes(session) == 0


async def test_the_analysis_is_kept_then_refreshed_in_the_background(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    simulated: uuid.UUID,
    clock: ManualClock,
) -> None:
    await _with_role(client, sessionmaker, Role.author)
    link = f'href="/author/items/{simulated}"'
    first = await client.get("/author/items?exam=sim-exam", headers=HTML)
    assert link in first.text
    async with session_scope(sessionmaker) as session:
        await session.execute(delete(ItemOutcome).where(ItemOutcome.item_version_id == simulated))
    kept = await client.get("/author/items?exam=sim-exam", headers=HTML)
    assert link in kept.text  # within the maximum age: the kept analysis
    clock.advance(seconds=301)
    stale = await client.get("/author/items?exam=sim-exam", headers=HTML)
    assert link in stale.text  # shown while the refresh recomputes it
    await app.state.analysis.settle()
    fresh = await client.get("/author/items?exam=sim-exam", headers=HTML)
    assert link not in fresh.text
    assert _computed_at(fresh.text) != _computed_at(first.text)


def _computed_at(page: str) -> str:
    found = re.search(r'<p class="hint" id="computed-at">(.*?)</p>', page)
    assert found is not None
    return found.group(1)


def test_rows_without_a_value_sort_last_either_way() -> None:
    rows = [{"facility": v, "item_id": str(i)} for i, v in enumerate([0.5, None, 0.9, 0.1])]
    up = [r["facility"] for r in _sorted(rows, "facility", descending=False)]
    down = [r["facility"] for r in _sorted(rows, "facility", descending=True)]
    assert up == [0.1, 0.5, 0.9, None]
    assert down == [0.9, 0.5, 0.1, None]


class _Headers(HTMLParser):
    """Each column header of the page's tables: its text, title and aria-describedby;
    and the text of every element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[dict[str, str]] = []
        self.by_id: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, id)
        self._texts: dict[str, list[str]] = {}
        self._th: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "th" and a.get("scope") == "col":
            self._th = {"text": "", "title": a.get("title", ""), "describedby": ""}
            self._th["describedby"] = a.get("aria-describedby", "")
        if self._th is not None and tag == "a":
            self._th["title"] = self._th["title"] or a.get("title", "")
            self._th["describedby"] = self._th["describedby"] or a.get("aria-describedby", "")
        self._open.append((tag, a.get("id")))
        if a.get("id"):
            self._texts[a["id"]] = []

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, open_id = self._open.pop()
            if open_id:
                self.by_id[open_id] = " ".join("".join(self._texts[open_id]).split())
            if open_tag == tag:
                break
        if tag == "th" and self._th is not None:
            self._th["text"] = " ".join(self._th["text"].split())
            self.headers.append(self._th)
            self._th = None

    def handle_data(self, data: str) -> None:
        if self._th is not None:
            self._th["text"] += data
        for _, open_id in self._open:
            if open_id:
                self._texts[open_id].append(data)


# Columns that name things rather than measure them.
NAMING_COLUMNS = {"Item", "Option", "Group", "Window", "Dates", "Result", "Scenario", "Check"}


async def test_every_statistic_column_says_its_unit_and_what_it_means(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    simulated: uuid.UUID,
) -> None:
    await _with_role(client, sessionmaker, Role.author)
    seen: set[str] = set()
    for path in ("/author/items?exam=sim-exam", f"/author/items/{simulated}"):
        page = _Headers()
        page.feed((await client.get(path, headers=HTML)).text)
        statistics = [h for h in page.headers if h["text"].split(",")[0] not in NAMING_COLUMNS]
        assert statistics, path
        for h in statistics:
            assert re.search(r"\(.+\)", h["text"]), (path, h)  # its unit
            assert len(h["title"]) > 40, (path, h)  # the tooltip
            described = page.by_id.get(h["describedby"], "")
            assert described == h["title"], (path, h)  # the same words, in the glossary
            seen.add(h["text"].split(" (")[0])
    assert {
        "Facility",
        "Point-biserial",
        "Upper-lower D",
        "Omitted",
        "Chosen by",
        "Upper group",
        "Median time",
        "z against baseline",
    } <= seen


async def test_every_exam_statistic_says_its_unit_and_what_it_means(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    simulated: uuid.UUID,
) -> None:
    await _with_role(client, sessionmaker, Role.author)
    text = (await client.get("/author/exams/sim-exam", headers=HTML)).text
    page = _Headers()
    page.feed(text)
    [listing] = re.findall(r'<dl class="stats-list">(.*?)</dl>', text, re.S)
    names = re.findall(r'<dt title="([^"]*)" aria-describedby="([^"]*)">(.*?)</dt>', listing)
    assert len(names) == listing.count("<dt") == 8
    for title, described_by, name in names:
        assert re.search(r'<span class="unit">\(.+\)</span>$', name), name  # its unit
        assert len(title) > 40, name  # the tooltip
        assert page.by_id.get(described_by) == html.unescape(title), name  # the glossary
    assert [n.split(" <span")[0] for _, _, n in names] == [
        "Scored attempts",
        "Pass rate",
        "Pass mark",
        "Mean",
        "Standard deviation",
        "KR-20",
        "Standard error of measurement",
        "Decision consistency",
    ]
    assert text.count('id="glossary"') == 1


async def test_the_facility_plot_names_its_axis_and_only_groups_with_responses(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    simulated: uuid.UUID,
) -> None:
    await _with_role(client, sessionmaker, Role.author)
    text = (await client.get(f"/author/items/{simulated}", headers=HTML)).text
    svg = re.search(r'<svg class="chart".*?</svg>', text, re.S)
    assert svg is not None
    assert ">Facility (share right)</text>" in svg.group(0)
    # Every simulated candidate sits once: no repeat takers, so no empty line in the legend.
    legend = re.findall(r'<text class="legend"[^>]*>([^<]*)</text>', svg.group(0))
    assert legend == ["first-time takers"]
