"""The scenario workbench in the browser: at 1366x768 the brief, the editor and the run
output share one screen; a keyboard-only candidate opens the scenario, edits a file, runs
the public checks, reads the result and submits; Python, YAML and SQL are highlighted and
read-only files stay read only; a narrow screen stacks the panels; edits made offline are
saved when the network is back; and the editor runs under the page's own policy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Server, assert_accessible, serve
from tests.pipeline_scenario import write_order_summary

pytestmark = pytest.mark.browser

BRIEF = """brief: |
  The daily summary disagrees with the ledger by the rows the loader skipped.

  **What you have**, in the workspace:

  - `pipeline.py`: the summary the report prints (yours to fix);
  - `config/settings.yaml`: where the orders come from (yours to change if needed);
  - `queries/orders.sql`: the query the loader runs;
  - `run.py` and `notes.txt`: the entry point and the on-call notes.

  Run the pipeline, read its output and fix `summary()` in `pipeline.py` so that the
  total is the sum of the values it is given, whatever their number.
"""
SETTINGS = "# where the orders come from\nsource:\n  table: orders\n  days: [monday, tuesday]\nstrict: true\n"
QUERY = "-- the day's orders\nSELECT id, total FROM orders WHERE day = 'tuesday';\n"
FIXED = "def summary(values):\n    return sum(values)"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose only scenario has Python, YAML, SQL and plain-text files, in
    folders, editable and read only."""
    root = tmp_path_factory.mktemp("e2e-workbench")
    scenarios = write_order_summary(root / "scenarios")
    scenario = scenarios / "order-summary"
    workspace = scenario / "workspace"
    (workspace / "config").mkdir()
    (workspace / "config" / "settings.yaml").write_text(SETTINGS)
    (workspace / "queries").mkdir()
    (workspace / "queries" / "orders.sql").write_text(QUERY)
    (workspace / "notes.txt").write_text("def is not a keyword in plain text\n")
    spec = (scenario / "scenario.yaml").read_text()
    start = spec.index("brief: |")
    end = spec.index("editable:")
    spec = spec[:start] + BRIEF + spec[end:]
    spec = spec.replace("editable: [pipeline.py]", "editable: [pipeline.py, config/settings.yaml]")
    (scenario / "scenario.yaml").write_text(spec)
    yield from serve(root, scenarios)


def _start(server: Server, page: Any) -> tuple[str, str]:
    """A new candidate with a practical exam started, signed in on ``page``; returns the
    attempt's id and the candidate's API token."""
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    server.api(
        "POST",
        "/api/v1/auth/register",
        {"email": email, "password": PASSWORD, "full_name": "Kim Lee"},
    )
    token = server.token(email)
    attempt = server.api("POST", "/api/v1/exams/e2e-practical/attempts", token=token)
    page.goto("/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/exams")
    return str(attempt["id"]), token


def _open_scenario(page: Any, attempt_id: str) -> None:
    page.goto(f"/attempts/{attempt_id}")
    page.locator("#navigator-list button[aria-label^='scenario']").click()
    expect(page.locator("#item-heading")).to_have_text("Scenario 2 of 2")
    expect(page.locator(".cm-editor")).to_be_visible()


def _saved_file(server: Server, token: str, attempt_id: str, path: str) -> str:
    attempt = server.api("GET", f"/api/v1/attempts/{attempt_id}", token=token)
    ref = next(i["ref"] for i in attempt["items"] if i["kind"] == "scenario")
    item = server.api("GET", f"/api/v1/attempts/{attempt_id}/items/{ref}", token=token)
    return str(item["files"][path])


def _file(page: Any, path: str) -> Any:
    return page.locator(f"[role=treeitem][data-path='{path}']")


def _press_until(page: Any, key: str, focused: str, limit: int = 60) -> None:
    """Presses ``key`` until the focused element matches the CSS selector ``focused``."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", focused):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {focused}")


def _within_viewport(page: Any, locator: Any) -> None:
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert (
        box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"]
    ), box


def test_at_1366x768_the_brief_the_editor_and_the_output_share_one_screen(
    context: Any, server: Server, screenshots: Path
) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    attempt_id, _ = _start(server, page)
    # A question loads no editor; the first scenario does.
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url) if "/static/vendor/" in r.url else None)
    page.goto(f"/attempts/{attempt_id}")
    expect(page.locator("#item-heading")).to_have_text("Question 1 of 2")
    page.wait_for_load_state("networkidle")
    assert loaded == []
    _open_scenario(page, attempt_id)
    assert any("@codemirror/view@" in url for url in loaded)
    page.get_by_role("button", name="Run public checks").click()
    expect(page.locator("#run-outcome")).to_contain_text(
        "1 of 1 public checks passed", timeout=60_000
    )

    # Nothing of the page scrolls: every panel is on the screen at once.
    assert page.evaluate(
        "document.documentElement.scrollHeight <= innerHeight"
        " && document.documentElement.scrollWidth <= innerWidth"
    )
    brief = page.get_by_role("region", name="Brief")
    for part in (
        brief,
        page.get_by_role("tree", name="Workspace files"),
        page.locator(".cm-editor"),
        page.get_by_role("button", name="Run public checks"),
        page.locator("#run-outcome li").first,
        page.get_by_role("button", name="Run pipeline"),
        page.get_by_role("button", name="Submit exam…"),
        page.get_by_role("button", name="Next"),
    ):
        _within_viewport(page, part)
    # Side by side: the brief left of the editor, the output right of it.
    editor = page.locator(".cm-editor").bounding_box()
    assert brief.bounding_box()["x"] + brief.bounding_box()["width"] <= editor["x"]
    assert editor["x"] + editor["width"] <= page.locator("#run-outcome").bounding_box()["x"]
    # The editor is a labelled text box, described by its keyboard help.
    help_id = page.get_by_role("textbox", name="pipeline.py").get_attribute("aria-describedby")
    expect(page.locator(f"#{help_id}")).to_contain_text("press Escape, then Tab")
    assert_accessible(page, "scenario workbench")
    page.screenshot(path=screenshots / "scenario-workbench.png")


def test_a_keyboard_only_candidate_completes_a_scenario(
    context: Any, server: Server, screenshots: Path
) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    attempt_id, token = _start(server, page)
    page.goto(f"/attempts/{attempt_id}")
    expect(page.locator("#item-heading")).to_have_text("Question 1 of 2")
    keys = page.keyboard

    # From the top of the page to the scenario in the navigator.
    _press_until(page, "Tab", "#navigator-list button[aria-label^='scenario']")
    keys.press("Enter")
    expect(page.locator("#item-heading")).to_have_text("Scenario 2 of 2")
    expect(page.locator("#item-heading")).to_be_focused()

    # Into the file tree; up to the YAML file and down again to pipeline.py; Enter opens.
    _press_until(page, "Tab", "[role=treeitem]")
    focused = page.locator("[role=treeitem]:focus")
    assert focused.evaluate("(e) => getComputedStyle(e).outlineStyle") != "none"
    _press_until(page, "ArrowUp", "[data-path='config/settings.yaml']", limit=10)
    keys.press("Enter")
    expect(_file(page, "config/settings.yaml")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("textbox", name="config/settings.yaml")).to_be_attached()
    _press_until(page, "ArrowDown", "[data-path='pipeline.py']", limit=10)
    keys.press("Enter")
    expect(_file(page, "pipeline.py")).to_have_attribute("aria-selected", "true")

    # Tab into the editor: it shows its focus, Enter keeps the indentation after a colon,
    # Tab indents and Shift+Tab outdents without leaving it.
    keys.press("Tab")
    editor = page.get_by_role("textbox", name="pipeline.py")
    expect(editor).to_be_focused()
    assert (
        page.locator(".cm-editor.cm-focused").evaluate("(e) => getComputedStyle(e).outlineStyle")
        != "none"
    )
    keys.press("Control+a")
    keys.type("def summary(values):")
    keys.press("Enter")
    keys.type("return sum(values)")
    keys.press("Home")
    keys.press("Tab")
    expect(editor).to_be_focused()
    expect(page.locator(".cm-activeLine")).to_have_text("        return sum(values)")
    keys.press("Shift+Tab")
    expect(editor).to_have_text(FIXED.replace("\n", ""))
    expect(page.locator("#save-state")).to_have_text("All answers saved")
    assert _saved_file(server, token, attempt_id, "pipeline.py") == FIXED

    # Escape, then Tab: out of the editor to the checks, which run on Enter.
    keys.press("Escape")
    keys.press("Tab")
    expect(editor).not_to_be_focused()
    _press_until(page, "Tab", "#run-checks", limit=5)
    keys.press("Enter")
    outcome = page.locator("#run-outcome")
    expect(outcome).to_contain_text("1 of 1 public checks passed", timeout=60_000)
    expect(outcome.locator("li.passed")).to_contain_text("Passed: sums")
    page.screenshot(path=screenshots / "scenario-keyboard.png")

    # Back up to Submit, through the editor (Shift+Tab passes it, changing nothing),
    # confirm in the dialog; the dialog then shows the receipt, with focus on the way on
    # to the result.
    _press_until(page, "Shift+Tab", ".cm-content", limit=10)
    keys.press("Shift+Tab")
    expect(editor).not_to_be_focused()
    _press_until(page, "Shift+Tab", "#submit-open")
    assert _saved_file(server, token, attempt_id, "pipeline.py") == FIXED
    keys.press("Enter")
    expect(page.locator("#submit-dialog")).to_be_visible()
    _press_until(page, "Tab", "#submit-confirm", limit=10)
    keys.press("Enter")
    done = page.get_by_role("dialog", name="Exam submitted")
    expect(done.get_by_role("button", name="See your result")).to_be_focused()
    keys.press("Enter")
    expect(page).to_have_url(f"{server.url}/attempts/{attempt_id}/result")


def test_python_yaml_and_sql_are_highlighted_and_read_only_files_stay_read_only(
    context: Any, server: Server
) -> None:
    page = context.new_page()
    attempt_id, token = _start(server, page)
    _open_scenario(page, attempt_id)
    content = page.locator(".cm-content")
    plain = content.evaluate("(e) => getComputedStyle(e).color")

    def coloured(selector: str, text: str) -> None:
        token_ = content.locator(selector).filter(has_text=text).first
        expect(token_).to_be_visible()
        assert token_.evaluate("(e) => getComputedStyle(e).color") != plain

    expect(page.locator(".wb-file")).to_contain_text("Python")
    coloured(".tok-keyword", "def")
    coloured(".tok-keyword", "return")
    _file(page, "config/settings.yaml").click()
    expect(page.locator(".wb-file")).to_contain_text("YAML")
    coloured(".tok-propertyName", "source")
    coloured(".tok-comment", "where the orders come from")
    _file(page, "queries/orders.sql").click()
    expect(page.locator(".wb-file")).to_contain_text("SQL")
    coloured(".tok-keyword", "SELECT")
    _file(page, "notes.txt").click()
    expect(page.locator(".wb-file")).to_contain_text("Plain text")
    expect(content).to_have_text("def is not a keyword in plain text")
    expect(content.locator("[class*=tok-]")).to_have_count(0)

    # A read-only file: marked so in the tree and for screen readers; typing changes
    # nothing, and Tab leaves it.
    run_py = _file(page, "run.py")
    expect(run_py).to_have_class("file read-only")
    expect(run_py).to_contain_text("read only")
    run_py.click()
    editor = page.get_by_role("textbox", name="run.py (read only)")
    expect(editor).to_have_attribute("aria-readonly", "true")
    before = editor.inner_text()
    editor.focus()
    page.keyboard.type("x = 1\n")
    assert editor.inner_text() == before
    page.keyboard.press("Tab")
    expect(editor).not_to_be_focused()
    expect(_file(page, "pipeline.py")).to_have_class("file editable")

    # Find (Ctrl+F): a labelled field that Escape closes, back in the editor.
    _file(page, "pipeline.py").click()
    python_editor = page.get_by_role("textbox", name="pipeline.py")
    python_editor.focus()
    page.keyboard.press("Control+f")
    find = page.get_by_role("textbox", name="Find")
    expect(find).to_be_focused()
    page.keyboard.type("return")
    page.keyboard.press("Enter")
    assert_accessible(page, "scenario workbench, finding text")
    page.keyboard.press("Escape")
    expect(find).to_have_count(0)
    expect(python_editor).to_be_focused()
    # Ctrl+M: Tab moves between controls, for as long as the candidate wants.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Control+m")
    page.keyboard.press("Tab")
    expect(python_editor).not_to_be_focused()
    assert (
        _saved_file(server, token, attempt_id, "pipeline.py")
        == "def summary(values):\n    return sum(values)\n"
    )

    # An edit made offline is kept and sent once the network is back.
    _file(page, "config/settings.yaml").click()
    page.context.set_offline(True)
    yaml_editor = page.get_by_role("textbox", name="config/settings.yaml")
    yaml_editor.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type("retries: 3\n")
    expect(page.locator("#save-state")).to_have_attribute("data-state", "offline")
    page.context.set_offline(False)
    expect(page.locator("#save-state")).to_have_text("All answers saved", timeout=20_000)
    assert (
        _saved_file(server, token, attempt_id, "config/settings.yaml") == SETTINGS + "retries: 3\n"
    )
    # And after a reload the editor shows what was saved, in the file left open.
    page.reload()
    expect(_file(page, "pipeline.py")).to_have_attribute("aria-selected", "true")
    _file(page, "config/settings.yaml").click()
    expect(page.get_by_role("textbox", name="config/settings.yaml")).to_contain_text("retries: 3")


def test_a_narrow_screen_stacks_the_brief_the_editor_and_the_output(
    context: Any, server: Server, screenshots: Path
) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    attempt_id, _ = _start(server, page)
    _open_scenario(page, attempt_id)
    brief = page.get_by_role("region", name="Brief").bounding_box()
    tree = page.get_by_role("tree", name="Workspace files").bounding_box()
    editor = page.locator(".cm-editor").bounding_box()
    checks = page.get_by_role("button", name="Run public checks").bounding_box()
    assert brief["y"] + brief["height"] <= tree["y"] <= editor["y"]
    assert editor["y"] + editor["height"] <= checks["y"]
    for box in (brief, editor):
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert_accessible(page, "scenario workbench, narrow")
    # A tall viewport rather than a stitched full page, whose capture the editor's
    # measuring does not follow.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 390, "height": height})
    page.screenshot(path=screenshots / "scenario-narrow.png")


def test_the_editor_runs_under_the_pages_policy(browser: Any, server: Server) -> None:
    context = browser.new_context(base_url=server.url)  # the policy enforced
    refused: list[str] = []
    page = context.new_page()
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.on("pageerror", lambda e: refused.append(str(e)))
    attempt_id, _ = _start(server, page)
    _open_scenario(page, attempt_id)
    # CodeMirror's own styles were admitted (its gutter sits beside the text) and the
    # highlighting came through the import map.
    assert page.locator(".cm-gutters").evaluate("(e) => getComputedStyle(e).display") == "flex"
    expect(page.locator(".cm-content .tok-keyword").first).to_have_text("def")
    assert refused == []
    context.close()
