"""The exam page tells the candidate what the service owes and what it received: time
credited for an outage beside the countdown, and the receipt of the answers in the
submit confirmation (before submitting, and of exactly what is scored after)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, REPO, Server, assert_accessible

pytestmark = pytest.mark.browser

# Records a 7-minute "down" gap that ends now in the server's database and runs the
# service's own credit pass on it, as the background pass would after an outage.
CREDIT_OUTAGE = """
import asyncio, uuid
from datetime import timedelta
import app.models  # every table, for the foreign keys
from app.availability import service
from app.availability.models import ServiceGap
from app.availability.repository import AvailabilityRepository
from app.config import get_settings
from app.core.clock import SystemClock
from app.core.db import create_engine, create_sessionmaker, dispose_engine, session_scope

async def main() -> None:
    clock = SystemClock()
    engine = create_engine(get_settings().database_url)
    now = clock.now()
    starts_at = now - timedelta(seconds=420)
    gap = ServiceGap(id=uuid.uuid4(), key=f"down:{starts_at.isoformat()}", kind="down",
                     starts_at=starts_at, ends_at=now, seconds=420, detected_at=now)
    async with session_scope(create_sessionmaker(engine)) as session:
        assert await AvailabilityRepository(session).record_gap(gap)
    async with session_scope(create_sessionmaker(engine)) as session:
        await service.credit_gaps(session, clock)
    await dispose_engine(engine)

asyncio.run(main())
"""


def credit_an_outage(server: Server) -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", CREDIT_OUTAGE],
        cwd=REPO,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def sign_in(context: Any, server: Server, email: str, name: str) -> tuple[Any, str]:
    server.api(
        "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "full_name": name}
    )
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Exams", level=1)).to_be_visible()
    return page, server.token(email)


def minutes_left(page: Any) -> int:
    text = page.locator("#timer").inner_text()
    assert re.fullmatch(r"\d\d:\d\d", text), text
    return int(text[:2])


def test_the_exam_page_shows_time_credited_for_an_outage(
    context: Any, server: Server, screenshots: Path
) -> None:
    page, token = sign_in(context, server, "barbara@example.org", "Barbara Liskov")
    attempt = server.api("POST", "/api/v1/exams/e2e-foundation/attempts", token=token)
    page.goto(f"/attempts/{attempt['id']}")
    expect(page.locator("#item-heading")).to_have_text("Question 1 of 5")
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(30:00|29:\d\d)$"))
    expect(page.locator("#time-credit")).to_be_hidden()

    credit_an_outage(server)
    state = server.api("GET", f"/api/v1/attempts/{attempt['id']}", token=token)
    assert state["credited_seconds"] == 420
    # The page learns it at its next sync with the server (every 30 s, or when the
    # network comes back): here, the network comes back.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    note = page.get_by_role("status").filter(has_text="Time credited")
    expect(note).to_have_text(
        "Time credited: 7 min added to your exam because the service was unavailable."
        " The time left includes it."
    )
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(37:00|36:\d\d)$"))
    assert minutes_left(page) >= 36
    assert_accessible(page, "exam with time credited")
    page.screenshot(path=screenshots / "exam-time-credited.png")

    # A reload shows it straight away.
    page.reload()
    expect(note).to_be_visible()
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(37:00|36:\d\d)$"))


def test_the_submit_confirmation_shows_the_receipt_of_the_answers(
    context: Any, server: Server, screenshots: Path
) -> None:
    page, token = sign_in(context, server, "edsger@example.org", "Edsger Dijkstra")
    attempt = server.api("POST", "/api/v1/exams/e2e-foundation/attempts", token=token)

    def acknowledged(action: Any) -> str:
        """The receipt the server acknowledged the save that ``action`` makes with."""
        with page.expect_response(lambda r: r.request.method == "PUT") as response:
            action()
        assert response.value.status == 200
        return str(response.value.json()["receipt"])

    page.goto(f"/attempts/{attempt['id']}")
    expect(page.locator("#item-heading")).to_have_text("Question 1 of 5")
    submit_dialog = page.get_by_role("dialog", name="Submit your exam?")
    receipt = submit_dialog.locator("#receipt-hash")

    # Nothing answered: the receipt of no answers.
    page.get_by_role("button", name="Submit exam…").click()
    expect(submit_dialog.locator("#receipt-label")).to_have_text("Receipt of your saved answers")
    expect(receipt).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(submit_dialog.get_by_role("button", name="See your result")).to_be_hidden()
    empty = receipt.inner_text()
    submit_dialog.get_by_role("button", name="Keep working").click()

    chosen = acknowledged(lambda: page.locator("label.option").first.click())
    expect(page.locator("#save-state")).to_have_text("All answers saved")
    page.get_by_role("button", name="Submit exam…").click()
    expect(receipt).to_have_text(chosen)
    assert chosen != empty
    submit_dialog.get_by_role("button", name="Keep working").click()

    # A reload: the page has sent nothing yet, and shows what the server holds.
    page.reload()
    expect(page.locator("#item-heading")).to_have_text("Question 1 of 5")
    flagged = acknowledged(lambda: page.get_by_role("button", name="Flag for review").click())
    expect(page.locator("#save-state")).to_have_text("All answers saved")
    page.reload()
    page.get_by_role("button", name="Submit exam…").click()
    expect(receipt).to_have_text(flagged)
    assert flagged not in (empty, chosen)
    assert_accessible(page, "submit dialog with the receipt")

    # Submitted: the receipt of exactly what is scored, shown before leaving the exam.
    submit_dialog.get_by_role("button", name="Submit now").click()
    done = page.get_by_role("dialog", name="Exam submitted")
    expect(done).to_be_visible()
    expect(done.locator("#receipt-label")).to_have_text("Receipt of your submitted answers")
    expect(done.locator("#receipt-hash")).to_have_text(flagged)
    expect(done.get_by_role("button", name="See your result")).to_be_focused()
    # Nothing left to submit or to keep working on.
    expect(done.get_by_role("button")).to_have_count(1)
    assert_accessible(page, "submitted, with the receipt")
    page.screenshot(path=screenshots / "submitted-receipt.png")
    result = server.api("GET", f"/api/v1/attempts/{attempt['id']}/result", token=token)
    assert result["receipt"] == flagged

    done.get_by_role("button", name="See your result").click()
    expect(page).to_have_url(re.compile(r"/attempts/[0-9a-f-]+/result$"))
    expect(page.locator("#receipt")).to_have_text(flagged)
