"""Running a scenario's pipeline from the exam page: the button beside the public
checks, the output in a labelled, scrollable panel, the finish announced, the runs left
counting down, an edit changing what the pipeline prints, all by keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Server, assert_accessible, serve
from tests.pipeline_scenario import write_order_summary

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own whose only scenario has a pipeline (the shared server draws
    from the repository's scenarios, not every one of which has a run.py)."""
    root = tmp_path_factory.mktemp("e2e-pipeline")
    yield from serve(root, write_order_summary(root / "scenarios"))


def test_candidate_runs_the_pipeline_and_reads_its_output(
    context: Any, server: Server, screenshots: Path
) -> None:
    server.api(
        "POST",
        "/api/v1/auth/register",
        {"email": "margaret@example.org", "password": PASSWORD, "full_name": "Margaret Example"},
    )
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("Email").fill("margaret@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    card = page.locator(".card", has=page.get_by_role("heading", name="MLOps Practical (test)"))
    card.get_by_role("link", name="Take MLOps Practical (test)").click()
    page.get_by_label("I have read the rules and I will follow them.").check()
    page.get_by_role("button", name="Start the exam").click()
    page.locator("#navigator-list button[aria-label^='scenario']").click()
    expect(page.locator("#item-heading")).to_have_text("Scenario 2 of 2")

    section = page.get_by_role("region", name="Pipeline", exact=True)
    expect(section).to_contain_text("python run.py --day tuesday")
    expect(page.locator("#pipeline-runs-left")).to_have_text("3 runs left")
    button = page.get_by_role("button", name="Run pipeline")
    # Keyboard only: focus the button and press Enter.
    button.focus()
    page.keyboard.press("Enter")
    # The live region announces the end of the run.
    status = page.locator("#pipeline-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_contain_text("finished", timeout=60_000)
    expect(status).to_contain_text("exit code 0")
    output = page.get_by_role("region", name="Pipeline output")
    expect(output).to_be_visible()
    expect(output.locator("pre.stdout")).to_have_text("day=tuesday total=12\n")
    expect(output.locator("pre.stderr")).to_have_text("warning: 2 rows skipped\n")
    expect(page.locator("#pipeline-runs-left")).to_have_text("2 runs left")
    # The panel scrolls by keyboard: it takes focus.
    output.focus()
    expect(output).to_be_focused()
    assert_accessible(page, "pipeline run")
    page.screenshot(path=screenshots / "pipeline-run.png", full_page=True)

    # Edit the pipeline; the next run prints the edited result.
    editor = page.get_by_role("textbox", name="pipeline.py")
    editor.fill("def summary(values):\n    return max(values)\n")
    expect(page.locator("#save-state")).to_have_text("All answers saved")
    button.click()
    expect(output.locator("pre.stdout")).to_have_text("day=tuesday total=5\n", timeout=60_000)
    expect(page.locator("#pipeline-runs-left")).to_have_text("1 run left")

    # Away to the question and back: the last run's output is still there.
    page.get_by_role("button", name="Previous").click()
    expect(page.locator("#item-heading")).to_have_text("Question 1 of 2")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#item-heading")).to_have_text("Scenario 2 of 2")
    expect(output.locator("pre.stdout")).to_have_text("day=tuesday total=5\n")
