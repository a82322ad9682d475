"""A proctor in the browser: the queue, a held attempt with its flags and scenario diff,
an approval with a reason, and the certificate it issues. A candidate who opens the
review pages gets the 403 page."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Server, assert_accessible

pytestmark = pytest.mark.browser

GRADING_SECONDS = 120
# A comment: valid in every scenario's editable files (Python or YAML).
OWN_WORK = "\n# split sizes checked by hand: train and test rows kept apart\n"


def held_attempt(server: Server, full_name: str) -> tuple[str, str]:
    """A candidate passes the practical exam after a 2,400-character paste into the
    scenario (a high-severity flag), so the pass waits for review. Returns the
    candidate's email and the attempt id."""
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    server.api(
        "POST",
        "/api/v1/auth/register",
        {"email": email, "password": PASSWORD, "full_name": full_name},
    )
    token = server.token(email)
    attempt = server.api("POST", "/api/v1/exams/e2e-practical/attempts", token=token)
    base = f"/api/v1/attempts/{attempt['id']}"
    for slot in attempt["items"]:
        item = server.api("GET", f"{base}/items/{slot['ref']}", token=token)
        if item["kind"] == "mcq":
            keyed = next(o["id"] for o in item["options"] if o["text"].startswith("Action b "))
            body: dict[str, Any] = {"choices": [keyed], "seq": 1}
        else:
            scenario = server.scenario_as_given(attempt["id"], slot["ref"])
            path = scenario.editable[0]
            server.api(
                "POST",
                f"{base}/events",
                {"type": "paste", "data": {"ref": slot["ref"], "path": path, "length": 2400}},
                token=token,
            )
            body = {
                "files": {
                    p: t + (OWN_WORK if p == path else "")
                    for p, t in scenario.solution_files.items()
                    if p in scenario.editable
                },
                "seq": 1,
            }
        server.api("PUT", f"{base}/responses/{slot['ref']}", body, token=token)
    server.api("POST", f"{base}/submit", token=token)
    deadline = time.monotonic() + GRADING_SECONDS
    while True:  # the hidden grading runs in the server's sandbox
        status = server.api("GET", f"{base}/result", token=token)["status"]
        if status not in ("submitted", "grading"):
            break
        assert time.monotonic() < deadline, "grading did not finish"
        time.sleep(0.25)
    assert status == "under_review"
    return email, str(attempt["id"])


def sign_in(page: Any, email: str, next_path: str) -> None:
    page.goto(f"/sign-in?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_proctor_approves_a_held_attempt_and_the_certificate_is_issued(
    context: Any, server: Server, screenshots: Path
) -> None:
    proctor = f"proctor-{uuid.uuid4().hex[:8]}@example.org"
    server.cli(
        "users", "create", "--email", proctor, "--password", PASSWORD,
        "--role", "proctor", "--name", "Pat Proctor",
    )  # fmt: skip
    candidate_email, attempt_id = held_attempt(server, "Mary Jackson")

    page = context.new_page()
    sign_in(page, proctor, "/review")
    expect(page.get_by_role("heading", name="Review queue", level=1)).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Mary Jackson"))
    expect(row).to_contain_text("High")
    expect(row).to_contain_text("certificate on hold")
    assert_accessible(page, "review queue")
    page.screenshot(path=screenshots / "review-queue.png", full_page=True)

    # Keyboard: the row's link is reachable and opens the attempt.
    link = row.get_by_role("link", name=re.compile("Review Mary Jackson"))
    link.focus()
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/review/attempts/{attempt_id}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mary Jackson")
    expect(page.locator("#review-state")).to_contain_text("certificate on hold")
    flag = page.locator("#flags li", has_text="Large paste into a scenario")
    expect(flag).to_contain_text("High")
    expect(flag).to_contain_text("2,400 characters")
    diff = page.locator("pre.diff").first
    expect(diff).to_contain_text("--- workspace/")
    added = page.locator("pre.diff .line-add", has_text="split sizes checked by hand")
    expect(added).to_have_text(re.compile(r"^\+# split sizes checked by hand"))
    expect(page.locator("#timeline")).to_contain_text("Pasted 2400 characters")
    expect(page.get_by_role("heading", name="Grading record")).to_be_visible()
    assert_accessible(page, "review attempt")
    page.screenshot(path=screenshots / "review-attempt.png", full_page=True)

    # Approve, with a reason: the certificate is issued.
    page.get_by_role("radio", name=re.compile(r"^Approve")).check()
    page.get_by_role("textbox", name="Reason").fill("The paste was the candidate's own notes file.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#review-message")).to_contain_text("Approved.")
    expect(page.locator("#review-state")).to_contain_text("Approved by " + proctor)
    certificate_id = page.locator("#certificate a").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{6}(-[0-9A-Z]{6}){2}", certificate_id)
    expect(page.locator("#timeline")).to_contain_text("Decision approve by " + proctor)

    page.goto(f"/verify/{certificate_id}")
    expect(page.locator("#verdict")).to_have_text("Valid")
    token = server.token(candidate_email)
    mine = server.api("GET", "/api/v1/certificates", token=token)
    assert [c["certificate_id"] for c in mine] == [certificate_id]

    # A candidate cannot open the review pages.
    other = context.browser.new_context(base_url=server.url)
    try:
        candidate_page = other.new_page()
        sign_in(candidate_page, candidate_email, "/exams")
        expect(candidate_page.get_by_role("heading", name="Exams", level=1)).to_be_visible()
        candidate_page.goto("/review")
        expect(candidate_page.get_by_role("heading", name="Not allowed")).to_be_visible()
    finally:
        other.close()
