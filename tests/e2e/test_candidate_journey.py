"""A candidate in the browser: register, start, answer, reload, lose the network,
submit, and find the result and the certificate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Server, assert_accessible

pytestmark = pytest.mark.browser


def choose_keyed_option(page: Any) -> None:
    page.locator("label.option", has_text=re.compile(r"^Action b for case")).click()


def nav_button(page: Any, number: int) -> Any:
    return page.locator("#navigator-list button").nth(number - 1)


def test_candidate_sits_the_exam_and_gets_a_certificate(
    context: Any, server: Server, screenshots: Path
) -> None:
    page = context.new_page()

    # Register (which signs in) from the sign-in page.
    page.goto("/sign-in")
    assert_accessible(page, "sign-in")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Full name").fill("Grace Brewster Hopper")
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # The catalog: format, duration, pass mark, prerequisites.
    expect(page.get_by_role("heading", name="Exams", level=1)).to_be_visible()
    card = page.locator(".card", has=page.get_by_role("heading", name="MLOps Foundation (test)"))
    expect(card).to_contain_text("Multiple choice only")
    expect(card).to_contain_text("30 minutes")
    expect(card).to_contain_text("70%")
    expect(card).to_contain_text("Prerequisites")
    assert_accessible(page, "catalog")
    page.screenshot(path=screenshots / "catalog.png", full_page=True)

    # The introduction: the rules and the format, and a start that asks first.
    card.get_by_role("link", name="Take MLOps Foundation (test)").click()
    expect(page.get_by_role("heading", name="MLOps Foundation (test)", level=1)).to_be_visible()
    expect(page.locator("#duration")).to_have_text("30 minutes")
    expect(page.locator("#item-count")).to_have_text("5")
    expect(page.get_by_role("heading", name="Rules")).to_be_visible()
    assert_accessible(page, "exam introduction")
    page.screenshot(path=screenshots / "exam-intro.png", full_page=True)
    page.get_by_role("button", name="Start the exam").click()
    expect(page).to_have_url(re.compile(r"/exams/e2e-foundation$"))  # not without consent
    page.get_by_label("I have read the rules and I will follow them.").check()
    page.get_by_role("button", name="Start the exam").click()
    expect(page.locator("#item-heading")).to_have_text("Question 1 of 5")
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(30:00|29:\d\d)$"))

    # Answer 1 to 3 (with the keyboard for the first), flag 2.
    page.locator("label.option input").first.focus()
    choose_keyed_option(page)
    expect(page.locator("#save-state")).to_have_text("All answers saved")
    for number in (2, 3):
        page.get_by_role("button", name="Next").click()
        expect(page.locator("#item-heading")).to_have_text(f"Question {number} of 5")
        choose_keyed_option(page)
        if number == 2:
            page.get_by_role("button", name="Flag for review").click()
            expect(page.locator("#flag")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#save-state")).to_have_text("All answers saved")
    expect(nav_button(page, 2)).to_have_attribute("data-flagged", "true")
    assert_accessible(page, "exam")
    page.screenshot(path=screenshots / "exam.png", full_page=True)

    # Reload mid-exam: every answer and the flag are still there.
    page.reload()
    expect(page.locator("#item-heading")).to_have_text("Question 3 of 5")
    for number in (1, 2, 3):
        expect(nav_button(page, number)).to_have_attribute("data-answered", "true")
    expect(nav_button(page, 2)).to_have_attribute("data-flagged", "true")
    expect(nav_button(page, 4)).to_have_attribute("data-answered", "false")
    for number in (1, 2, 3):
        nav_button(page, number).click()
        expect(page.locator("#item-heading")).to_have_text(f"Question {number} of 5")
        checked = page.locator("label.option:has(input:checked)")
        expect(checked).to_have_count(1)
        expect(checked).to_have_text(re.compile(r"^Action b for case"))
    expect(page.locator("#flag")).to_have_attribute("aria-pressed", "false")
    nav_button(page, 2).click()
    expect(page.locator("#flag")).to_have_attribute("aria-pressed", "true")

    # Offline: the answer is kept and retried until the server acknowledges it.
    nav_button(page, 4).click()
    expect(page.locator("#item-heading")).to_have_text("Question 4 of 5")
    context.set_offline(True)
    choose_keyed_option(page)
    expect(page.locator("#save-state")).to_have_attribute("data-state", "offline")
    expect(page.locator("#save-state")).to_contain_text("retrying")
    page.screenshot(path=screenshots / "exam-offline.png")
    context.set_offline(False)
    expect(page.locator("#save-state")).to_have_text("All answers saved")

    # Submit: the confirmation lists what is unanswered and flagged.
    page.get_by_role("button", name="Submit exam…").click()
    dialog = page.get_by_role("dialog", name="Submit your exam?")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#unanswered-list")).to_have_text("Unanswered (1): 5")
    expect(dialog.locator("#flagged-list")).to_have_text("Flagged for review (1): 2")
    assert_accessible(page, "submit dialog")
    page.screenshot(path=screenshots / "submit-dialog.png")
    dialog.get_by_role("button", name="Keep working").click()
    nav_button(page, 5).click()
    choose_keyed_option(page)
    page.get_by_role("button", name="Submit exam…").click()
    expect(dialog.locator("#unanswered-list")).to_have_text("Unanswered (0): none")
    dialog.get_by_role("button", name="Submit now").click()
    # The receipt of the submitted answers, before the result.
    submitted = page.get_by_role("dialog", name="Exam submitted")
    expect(submitted.locator("#receipt-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    receipt = submitted.locator("#receipt-hash").inner_text()
    submitted.get_by_role("button", name="See your result").click()

    # The result, then the certificate.
    expect(page).to_have_url(re.compile(r"/attempts/[0-9a-f-]+/result$"))
    expect(page.locator(".verdict")).to_have_text("Passed")
    expect(page.locator("#score")).to_have_text("100.0%")
    expect(page.locator("#pass-mark")).to_have_text("70%")
    expect(page.locator("#receipt")).to_have_text(receipt)
    expect(page.get_by_role("row", name=re.compile("Multiple choice"))).to_contain_text("100.0%")
    certificate_id = page.locator("#certificate-id").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{6}(-[0-9A-Z]{6}){2}", certificate_id)
    assert_accessible(page, "result")
    page.screenshot(path=screenshots / "result.png", full_page=True)

    page.get_by_role("link", name="All my certificates").click()
    expect(page.get_by_role("heading", name="My certificates")).to_be_visible()
    expect(page.locator(".card")).to_contain_text(certificate_id)
    expect(page.locator(".card")).to_contain_text("Active")
    share = page.locator(".share-url")
    expect(share).to_have_text(f"{server.url}/verify/{certificate_id}")
    # Long links and IDs wrap between groups, never off the card.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    linkedin = page.get_by_role("link", name=re.compile("Add to LinkedIn profile"))
    assert "certId=" + certificate_id in (linkedin.get_attribute("href") or "")
    # The holder downloads the signed Open Badges credential (a compact JWS) with the
    # session cookie.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download the signed credential")).click()
    download = download_info.value
    assert download.suggested_filename == f"assay-{certificate_id}.jwt"
    token = Path(download.path()).read_text()
    assert token.count(".") == 2 and token.startswith("eyJ")
    assert_accessible(page, "certificates")
    page.screenshot(path=screenshots / "certificates.png", full_page=True)

    # The result page reads well on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.go_back()
    expect(page.locator(".verdict")).to_have_text("Passed")
    assert_accessible(page, "result (phone)")
    page.screenshot(path=screenshots / "result-phone.png", full_page=True)
