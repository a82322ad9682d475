"""An author in the browser: the bank of an exam after a scored attempt, an item's page
with its distractor table and its facility-over-time plot (SVG with a title, and the
same data as a table), and the exam's page; axe-clean. A candidate gets the 403 page."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Server, assert_accessible
from tests.e2e.test_proctor_review import sign_in

pytestmark = pytest.mark.browser


def scored_attempt(server: Server) -> str:
    """A candidate sits the foundation exam, every answer keyed; returns their email."""
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    server.api(
        "POST",
        "/api/v1/auth/register",
        {"email": email, "password": PASSWORD, "full_name": "Katherine Johnson"},
    )
    token = server.token(email)
    attempt = server.api("POST", "/api/v1/exams/e2e-foundation/attempts", token=token)
    base = f"/api/v1/attempts/{attempt['id']}"
    for slot in attempt["items"]:
        item = server.api("GET", f"{base}/items/{slot['ref']}", token=token)
        keyed = next(o["id"] for o in item["options"] if o["text"].startswith("Action b "))
        server.api(
            "PUT", f"{base}/responses/{slot['ref']}", {"choices": [keyed], "seq": 1}, token=token
        )
    server.api("POST", f"{base}/submit", token=token)
    assert server.api("GET", f"{base}/result", token=token)["status"] == "scored"
    return email


def test_an_author_opens_an_item_page(context: Any, server: Server, screenshots: Path) -> None:
    author = f"author-{uuid.uuid4().hex[:8]}@example.org"
    server.cli(
        "users", "create", "--email", author, "--password", PASSWORD,
        "--role", "author", "--name", "Ada Author",
    )  # fmt: skip
    candidate = scored_attempt(server)

    page = context.new_page()
    sign_in(page, author, "/author/items?exam=e2e-foundation")
    expect(page.get_by_role("heading", name="Item analysis", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Item analysis")
    expect(page.locator("table.stats").first).to_contain_text("not shown yet")
    assert_accessible(page, "item analysis bank")
    page.screenshot(path=screenshots / "author-items.png", full_page=True)

    link = page.locator("table.stats a[href^='/author/items/']").first
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/author/items/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 1")
    chart = page.locator("svg.chart")
    expect(chart).to_have_attribute("role", "img")
    expect(page.get_by_role("img", name=re.compile("^Facility over time"))).to_be_visible()
    expect(page.locator("#over-time")).to_contain_text("first-time takers")
    expect(page.locator("#over-time")).to_contain_text("baseline")
    expect(page.locator("#flags")).to_contain_text("flags need 50 responses")
    assert_accessible(page, "item page")
    page.screenshot(path=screenshots / "author-item.png", full_page=True)
    item_url = page.url

    # Under the enforced policy (the context above bypasses it for axe): nothing refused.
    enforced = context.browser.new_context(base_url=server.url)
    try:
        refused: list[str] = []
        strict = enforced.new_page()
        strict.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        sign_in(strict, author, item_url.removeprefix(server.url))
        expect(strict.locator("svg.chart")).to_be_visible()
        strict.wait_for_load_state("networkidle")
        assert refused == []
    finally:
        enforced.close()

    page.goto("/author/exams/e2e-foundation")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Exam analysis")
    expect(page.get_by_role("img", name=re.compile("^Scores on e2e-foundation"))).to_be_visible()
    assert_accessible(page, "exam analysis")

    other = context.browser.new_context(base_url=server.url)
    try:
        candidate_page = other.new_page()
        sign_in(candidate_page, candidate, "/exams")
        expect(candidate_page.get_by_role("heading", name="Exams", level=1)).to_be_visible()
        candidate_page.goto("/author/items")
        expect(candidate_page.get_by_role("heading", name="Not allowed")).to_be_visible()
    finally:
        other.close()
