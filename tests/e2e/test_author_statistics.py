"""The author pages with statistics to show: 250 simulated candidates (a planted mis-keyed
and a non-discriminating item), so the bank's sortable tables hold numbers and flags,
the item page its distractor table and a facility-over-time plot with windows, the exam
page its reliability. Every page axe-clean, at a desktop size and on a phone; the column
headers' meanings reachable from the keyboard; sorting by keyboard."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.authoring import service
from app.core.db import create_engine, create_sessionmaker, session_scope
from app.exams.models import ItemVersion
from tests.authoring.simulation import MISKEYED, seed
from tests.e2e.conftest import PASSWORD, REPO, TIMEOUT_MS, Server, assert_accessible, serve
from tests.e2e.test_proctor_review import sign_in

pytestmark = pytest.mark.browser

EXAM = "sim-exam"


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A server of its own (its analysis cache starts empty) whose database holds the
    simulated attempts, recorded; yields it and the mis-keyed item's version id."""
    server_run = serve(tmp_path_factory.mktemp("e2e-analysis"), REPO / "scenarios")
    server = next(server_run)

    async def prepare() -> str:
        engine = create_engine(server.env["ASSAY_DATABASE_URL"])
        try:
            sessions = create_sessionmaker(engine)
            async with session_scope(sessions) as session:
                await seed(session, candidates=250, clean_items=6, seed=11, exam_code=EXAM)
            async with session_scope(sessions) as session:
                await service.record_outcomes(session)
                found = await session.execute(
                    select(ItemVersion.id).where(ItemVersion.item_id == MISKEYED)
                )
                return str(found.scalar_one())
        finally:
            await engine.dispose()

    try:
        # In a thread of its own: Playwright's sync API holds this thread's event loop.
        with ThreadPoolExecutor(1) as worker:
            miskeyed = worker.submit(asyncio.run, prepare()).result()
        yield server, miskeyed
    finally:
        server_run.close()


@pytest.fixture
def author_page(browser: Any, analysed: tuple[Server, str]) -> Iterator[Any]:
    server, _ = analysed
    expect.set_options(timeout=TIMEOUT_MS)
    author = f"author-{uuid.uuid4().hex[:8]}@example.org"
    server.cli(
        "users", "create", "--email", author, "--password", PASSWORD,
        "--role", "author", "--name", "Ada Author",
    )  # fmt: skip
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 860}, bypass_csp=True
    )
    try:
        page = context.new_page()
        sign_in(page, author, f"/author/items?exam={EXAM}")
        expect(page.get_by_role("heading", name="Item analysis", level=1)).to_be_visible()
        yield page
    finally:
        context.close()


def test_the_bank_with_statistics_is_sortable_by_keyboard_and_accessible(
    author_page: Any, screenshots: Path
) -> None:
    page = author_page
    table = page.locator("table.stats").first
    expect(table).not_to_contain_text("not shown yet")
    expect(page.locator("tr.flagged").first).to_be_visible()
    # Each statistic's meaning: a tooltip and the description of its sort link...
    sort_link = page.get_by_role("link", name=re.compile(r"^Point-biserial \(correlation"))
    expect(sort_link.first).to_have_attribute("title", re.compile("rest of the exam"))
    expect(sort_link.first).to_have_accessible_description(re.compile("rest of the exam"))
    # ...and the glossary, opened from the keyboard.
    page.locator("#glossary summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#term-facility")).to_be_visible()
    expect(page.locator("#term-facility")).to_contain_text("share of candidates who answered")
    assert_accessible(page, "bank with statistics")
    page.screenshot(path=screenshots / "author-items-statistics.png", full_page=True)

    sort_link.first.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort=point_biserial&order=asc$"))
    header = page.locator("th[aria-sort]").first
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(header).to_contain_text("Point-biserial")
    values = [
        float(v)
        for v in page.locator("table.stats")
        .first.locator("tbody tr td:nth-child(4)")
        .all_inner_texts()
        if re.fullmatch(r"-?\d\.\d\d", v)
    ]
    assert len(values) >= 6 and values == sorted(values)
    assert_accessible(page, "bank sorted by point-biserial")

    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page, "bank on a phone")


def test_the_item_page_with_distractors_and_windows_is_accessible(
    author_page: Any, analysed: tuple[Server, str], screenshots: Path
) -> None:
    page = author_page
    _, miskeyed = analysed
    page.goto(f"/author/items/{miskeyed}")
    expect(page.locator("#flags")).to_contain_text("Likely mis-keyed")
    distractors = page.locator("#distractors")
    expect(
        distractors.get_by_role("columnheader", name=re.compile("^Upper group"))
    ).to_have_attribute("title", re.compile("strongest 27 %"))
    expect(page.get_by_role("img", name=re.compile("^Facility over time"))).to_be_visible()
    over_time = page.locator("#over-time")
    expect(over_time).to_contain_text("window 1")
    expect(
        over_time.get_by_role(
            "columnheader", name=re.compile(r"^z against baseline \(standard errors\)")
        )
    ).to_be_visible()
    assert_accessible(page, "item page with statistics")
    page.screenshot(path=screenshots / "author-item-statistics.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page, "item page on a phone")

    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(f"/author/exams/{EXAM}")
    expect(page.locator("main")).to_contain_text("KR-20")
    expect(page.get_by_role("img", name=re.compile(f"^Scores on {EXAM}"))).to_be_visible()
    assert_accessible(page, "exam page with statistics")
