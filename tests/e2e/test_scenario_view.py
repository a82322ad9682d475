"""A practical scenario in the browser: the brief, file tabs, an editor that takes the
Tab key and numbers its lines, autosave of files, and a run of the public checks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Server, assert_accessible

pytestmark = pytest.mark.browser


def test_candidate_edits_a_scenario_and_runs_the_public_checks(
    context: Any, server: Server, screenshots: Path
) -> None:
    server.api(
        "POST",
        "/api/v1/auth/register",
        {"email": "linus@example.org", "password": PASSWORD, "full_name": "Linus Example"},
    )
    page = context.new_page()
    page.goto("/no-such-page")  # an unknown page is a page, not JSON
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.goto("/sign-in")
    page.get_by_label("Email").fill("linus@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    card = page.locator(".card", has=page.get_by_role("heading", name="MLOps Practical (test)"))
    expect(card).to_contain_text("Multiple choice and 1 practical scenario")
    card.get_by_role("link", name="Take MLOps Practical (test)").click()
    page.get_by_label("I have read the rules and I will follow them.").check()
    page.get_by_role("button", name="Start the exam").click()

    scenario = page.locator("#navigator-list button[aria-label^='scenario']")
    scenario.click()
    expect(page.locator("#item-heading")).to_have_text("Scenario 2 of 2")
    expect(page.get_by_role("region", name="Brief")).not_to_be_empty()
    tabs = page.get_by_role("tab")
    expect(tabs.first).to_have_attribute("aria-selected", "true")
    editor = page.locator(".editor textarea")
    expect(editor).to_have_css(
        "font-family",
        'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
    )
    lines_before = page.locator(".editor .gutter").inner_text().split()

    # Type at the end of the file: Tab indents instead of leaving the editor.
    editor.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# reviewed")
    page.keyboard.press("Tab")
    page.keyboard.type("ok")
    expect(editor).to_be_focused()
    assert editor.input_value().endswith("# reviewed    ok")
    assert len(page.locator(".editor .gutter").inner_text().split()) == len(lines_before) + 1
    expect(page.locator("#save-state")).to_have_text("All answers saved")
    # Escape, then Tab, leaves the editor: the keyboard is never trapped.
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(editor).not_to_be_focused()

    # Arrow keys move between file tabs.
    if tabs.count() > 1:
        tabs.first.focus()
        page.keyboard.press("ArrowRight")
        expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
        expect(tabs.nth(1)).to_be_focused()
        tabs.first.click()

    runs_left = page.locator("#runs-left").inner_text()
    page.get_by_role("button", name="Run public checks").click()
    expect(page.locator("#run-outcome")).to_contain_text("public checks passed", timeout=60_000)
    expect(page.locator("#run-outcome li").first).to_be_visible()
    left_before = int(runs_left.split()[0])
    expect(page.locator("#runs-left")).to_contain_text(f"{left_before - 1} run")
    assert_accessible(page, "scenario")
    # The bar is sticky: photograph a tall viewport rather than a stitched full page.
    page.set_viewport_size({"width": 1280, "height": 1300})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=screenshots / "scenario.png")

    # The edit survives a reload.
    page.reload()
    expect(page.locator("#item-heading")).to_have_text("Scenario 2 of 2")
    expect(page.locator(".editor textarea")).to_have_value(re.compile(r"# reviewed    ok$"))
