"""A candidate in a scheduled sitting, in the browser: check in from the exam's
introduction, wait in the waiting room (a countdown by the server's clock), and find the
exam opening by itself at the sitting's start."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Server, assert_accessible

pytestmark = pytest.mark.browser

LEAD_SECONDS = 25


def test_candidate_checks_in_waits_and_the_exam_opens_at_the_start(
    context: Any, server: Server, screenshots: Path
) -> None:
    admin = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    server.cli("users", "create", "--email", admin, "--password", PASSWORD, "--role", "admin")
    now = datetime.now(UTC)
    starts_at = (now + timedelta(seconds=LEAD_SECONDS)).replace(microsecond=0)
    sitting = server.api(
        "POST",
        "/api/v1/sittings",
        {
            "exam_code": "e2e-foundation",
            "starts_at": starts_at.isoformat(),
            "check_in_opens_at": (now - timedelta(minutes=1)).isoformat(),
            # Closed soon after the start: the other tests' pages do not list it for long.
            "check_in_closes_at": (starts_at + timedelta(seconds=30)).isoformat(),
            "capacity": 5,
        },
        token=server.token(admin),
    )

    page = context.new_page()
    page.goto("/register")
    page.get_by_label("Full name").fill("Katherine Johnson")
    page.get_by_label("Email").fill(f"katherine-{uuid.uuid4().hex[:6]}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Exams", level=1)).to_be_visible()

    page.goto("/exams/e2e-foundation")
    sittings = page.locator("#sittings")
    expect(sittings).to_contain_text("Scheduled sittings")
    expect(sittings).to_contain_text("5 seats left")
    assert_accessible(page, "exam introduction with a sitting")
    check_in = sittings.locator(f"button[value='{sitting['id']}']")
    check_in.click()
    expect(page).to_have_url(re.compile(r"/exams/e2e-foundation$"))  # not without consent
    page.get_by_label("I have read the rules and I will follow them in this sitting.").check()
    check_in.click()

    # The waiting room: checked in, counting down to the start by the server's clock.
    expect(page.get_by_role("heading", name="You are checked in")).to_be_visible()
    expect(page.locator("#starts-in")).to_have_text(re.compile(r"^00:[0-2]\d$"))
    assert_accessible(page, "waiting room")
    page.screenshot(path=screenshots / "sitting-waiting.png", full_page=True)

    # At the start the exam opens by itself, with the whole time on the clock.
    expect(page.locator("#item-heading")).to_have_text(
        "Question 1 of 5", timeout=(LEAD_SECONDS + 20) * 1000
    )
    assert datetime.now(UTC) >= starts_at
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(30:00|29:[45]\d)$"))
    page.locator("label.option").first.click()
    expect(page.locator("#save-state")).to_have_text("All answers saved")


def test_a_moved_then_cancelled_sitting_is_shown_in_the_waiting_room(
    context: Any, server: Server, screenshots: Path
) -> None:
    admin = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    server.cli("users", "create", "--email", admin, "--password", PASSWORD, "--role", "admin")
    now = datetime.now(UTC)
    starts_at = (now + timedelta(minutes=10)).replace(microsecond=0)
    sitting = server.api(
        "POST",
        "/api/v1/sittings",
        {
            "exam_code": "e2e-foundation",
            "starts_at": starts_at.isoformat(),
            "check_in_opens_at": (now - timedelta(minutes=1)).isoformat(),
            "check_in_closes_at": (starts_at + timedelta(minutes=1)).isoformat(),
            "capacity": 5,
        },
        token=server.token(admin),
    )
    email = f"dorothy-{uuid.uuid4().hex[:6]}@example.org"
    page = context.new_page()
    page.goto("/register")
    page.get_by_label("Full name").fill("Dorothy Vaughan")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Exams", level=1)).to_be_visible()
    page.goto("/exams/e2e-foundation")
    page.get_by_label("I have read the rules and I will follow them in this sitting.").check()
    page.locator(f"#sittings button[value='{sitting['id']}']").click()
    expect(page.get_by_role("heading", name="You are checked in")).to_be_visible()

    # Moved by an admin: the open waiting room learns it at its next sync and says so.
    server.api(
        "PATCH",
        f"/api/v1/sittings/{sitting['id']}",
        {
            "starts_at": (starts_at + timedelta(hours=1)).isoformat(),
            "reason": "The building is closed this morning.",
        },
        token=server.token(admin),
    )
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    moved = page.locator("#sitting-moved")
    expect(moved).to_contain_text("This sitting was moved.")
    expect(moved).to_contain_text("The building is closed this morning.")
    expect(page.locator("#starts-in")).to_have_text(re.compile(r"^1:(09|10):\d\d$"))
    assert_accessible(page, "waiting room of a moved sitting")
    page.screenshot(path=screenshots / "sitting-moved.png", full_page=True)

    # Cancelled: the waiting room turns into the notice, with the way to another sitting.
    server.api(
        "POST",
        f"/api/v1/sittings/{sitting['id']}/cancel",
        {"reason": "No proctor is available."},
        token=server.token(admin),
    )
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    notice = page.locator("#sitting-cancelled")
    expect(notice).to_contain_text("This sitting was cancelled")
    expect(notice).to_contain_text("Reason given: No proctor is available.")
    assert_accessible(page, "cancelled sitting")
    page.screenshot(path=screenshots / "sitting-cancelled.png", full_page=True)
    page.get_by_role("link", name="Check in to another sitting or start the exam").click()
    expect(page).to_have_url(re.compile(r"/exams/e2e-foundation$"))
