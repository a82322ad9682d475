"""A practical scenario of the repository in the browser: the brief, the file tree, an
editor that takes the Tab key and numbers its lines, autosave of files, and a run of the
public checks."""

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
    # The file tree opens on an editable file; read-only files are marked as such.
    tree = page.get_by_role("tree", name="Workspace files")
    selected = tree.locator("[role=treeitem][aria-selected=true]")
    expect(selected).to_have_count(1)
    expect(selected).to_have_class("file editable")
    path = str(selected.get_attribute("data-path"))
    expect(tree.locator(".file.read-only").first).to_contain_text("read only")
    editor = page.get_by_role("textbox", name=path, exact=True)
    expect(page.locator(".cm-scroller")).to_have_css(
        "font-family",
        'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
    )
    expect(page.locator(".cm-lineNumbers .cm-gutterElement").nth(1)).to_have_text("1")

    # Type at the end of the file: Tab indents the line instead of leaving the editor.
    editor.focus()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+Home")  # the new line may be indented: start it afresh
    page.keyboard.press("Control+End")
    page.keyboard.press("Shift+Home")
    page.keyboard.type("# reviewed")
    page.keyboard.press("Tab")
    expect(editor).to_be_focused()
    expect(page.locator(".cm-activeLine")).to_have_text(re.compile(r"^\s+# reviewed$"))
    expect(page.locator("#save-state")).to_have_text("All answers saved")
    # Escape, then Tab, leaves the editor: the keyboard is never trapped.
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(editor).not_to_be_focused()

    # Arrow keys move in the tree; Enter opens the file, read only if it is.
    selected.focus()
    page.keyboard.press("End")
    last = tree.locator("[role=treeitem]").last
    expect(last).to_be_focused()
    page.keyboard.press("Enter")
    expect(last).to_have_attribute("aria-selected", "true")
    expect(
        page.get_by_role("textbox", name=f"{last.get_attribute('data-path')} (read only)")
    ).to_have_attribute("aria-readonly", "true")
    selected_path = tree.locator(f"[data-path='{path}']")
    selected_path.click()

    runs_left = page.locator("#runs-left").inner_text()
    page.get_by_role("button", name="Run public checks").click()
    expect(page.locator("#run-outcome")).to_contain_text("public checks passed", timeout=60_000)
    expect(page.locator("#run-outcome li").first).to_be_visible()
    left_before = int(runs_left.split()[0])
    expect(page.locator("#runs-left")).to_contain_text(f"{left_before - 1} run")
    assert_accessible(page, "scenario")
    # The workbench at a common laptop size: brief, code and output on one screen.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=screenshots / "scenario.png")

    # The edit survives a reload.
    page.reload()
    expect(page.locator("#item-heading")).to_have_text("Scenario 2 of 2")
    editor.focus()
    page.keyboard.press("Control+End")
    expect(page.locator(".cm-activeLine")).to_have_text(re.compile(r"^\s+# reviewed$"))
