"""An author in the browser proposes a key correction and sees its impact; an admin
applies it; the candidate whose answer the correction accepts now passes."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.bank import PREFIX
from tests.e2e.conftest import PASSWORD, Server, assert_accessible
from tests.e2e.test_proctor_review import sign_in

pytestmark = pytest.mark.browser

APPLY_SECONDS = 30
STEM = re.compile(r"On call for ([a-z]+)(foundation|professional)(\d+):")


def item_id(stem: str) -> str:
    """The bank's id of an e2e item, read back from its stem (tests/bank.py writes it)."""
    found = STEM.search(stem)
    assert found, stem
    domain, level, number = found.groups()
    return f"{PREFIX[domain]}-{level[0].upper()}-{int(number):03d}"


def failing_attempt(server: Server) -> tuple[str, str, str]:
    """A candidate answers the first lifecycle item "Action c" (the key is b), two more
    right and one wrong: 3 of 5, under the 70 % pass mark. Returns the candidate's
    email, the attempt id and the item answered c."""
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    server.api(
        "POST",
        "/api/v1/auth/register",
        {"email": email, "password": PASSWORD, "full_name": "Grace Hopper"},
    )
    token = server.token(email)
    attempt = server.api("POST", "/api/v1/exams/e2e-foundation/attempts", token=token)
    base = f"/api/v1/attempts/{attempt['id']}"
    corrected = ""
    wrong_given = False
    for slot in attempt["items"]:
        item = server.api("GET", f"{base}/items/{slot['ref']}", token=token)
        this = item_id(item["stem"])
        if not corrected and this.startswith("LIF"):
            corrected, answer = this, "Action c "
        elif not wrong_given and this.startswith("DAT"):
            wrong_given, answer = True, "Action a "
        else:
            answer = "Action b "
        chosen = next(o["id"] for o in item["options"] if o["text"].startswith(answer))
        body: dict[str, Any] = {"choices": [chosen], "seq": 1}
        server.api("PUT", f"{base}/responses/{slot['ref']}", body, token=token)
    server.api("POST", f"{base}/submit", token=token)
    result = server.api("GET", f"{base}/result", token=token)
    assert (result["score"], result["passed"]) == (0.6, False)
    return email, str(attempt["id"]), corrected


def test_an_author_previews_a_key_correction_and_an_admin_applies_it(
    context: Any, server: Server, screenshots: Path
) -> None:
    author = f"author-{uuid.uuid4().hex[:8]}@example.org"
    admin = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    for email, role, name in ((author, "author", "Ann Author"), (admin, "admin", "Ada Admin")):
        server.cli(
            "users", "create", "--email", email, "--password", PASSWORD,
            "--role", role, "--name", name,
        )  # fmt: skip
    candidate, attempt_id, corrected = failing_attempt(server)

    page = context.new_page()
    sign_in(page, author, "/author/regrades")
    expect(page.get_by_role("heading", name="Regrades", level=1)).to_be_visible()
    assert_accessible(page, "regrades")
    page.get_by_label("Item id").fill(corrected)
    page.get_by_role("radio", name=re.compile("^Accept an additional key")).check()
    page.get_by_label(re.compile("^Key")).fill("c")
    page.get_by_role("textbox", name="Reason").fill("Option c is also right since the 2026 docs.")
    page.get_by_role("button", name="Propose and preview").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Regrade of {corrected}")
    row = page.locator("#attempts tr", has_text=attempt_id)
    expect(row).to_contain_text("60.0%")
    expect(row).to_contain_text("80.0%")
    expect(row).to_contain_text("Now passes")
    expect(page.locator("#policy")).to_contain_text("a key error never takes a pass away")
    expect(page.locator("#apply-form")).to_have_count(0)  # an author cannot apply
    assert_accessible(page, "regrade preview")
    page.screenshot(path=screenshots / "regrade-preview.png", full_page=True)
    regrade_url = page.url

    admin_context = context.browser.new_context(base_url=server.url, bypass_csp=True)
    try:
        admin_page = admin_context.new_page()
        sign_in(admin_page, admin, regrade_url.removeprefix(server.url))
        expect(admin_page.get_by_role("heading", level=1)).to_have_text(f"Regrade of {corrected}")
        admin_page.get_by_role("textbox", name="Reason").fill("Confirmed with the item's author.")
        admin_page.get_by_role("button", name="Apply the regrade").click()
        expect(admin_page.locator("#regrade-message")).to_contain_text("Applying")
        deadline = time.monotonic() + APPLY_SECONDS
        while "Applied" not in admin_page.locator("#regrade-status").inner_text():
            assert time.monotonic() < deadline, "the apply did not finish"
            time.sleep(0.25)
            admin_page.reload()
        expect(admin_page.locator("#attempts tr", has_text=attempt_id)).to_contain_text(
            "Now passes"
        )
        assert_accessible(admin_page, "regrade applied")
    finally:
        admin_context.close()

    # The candidate's result changed: a pass, with its certificate.
    candidate_context = context.browser.new_context(base_url=server.url, bypass_csp=True)
    try:
        candidate_page = candidate_context.new_page()
        sign_in(candidate_page, candidate, f"/attempts/{attempt_id}/result")
        expect(candidate_page.locator("#score")).to_have_text("80.0%")
        expect(candidate_page.locator("#result-summary")).to_contain_text("Passed")
    finally:
        candidate_context.close()
    token = server.token(candidate)
    result = server.api("GET", f"/api/v1/attempts/{attempt_id}/result", token=token)
    assert result["passed"] is True and result["certificate_id"]
