"""What a candidate, a holder and a developer see beyond the exam itself: the catalog
says who may start what and from when, a printable certificate carries a QR code to its
verification page, the API documentation works with no network, and every page keeps to
its Content-Security-Policy."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Server, assert_accessible

pytestmark = pytest.mark.browser


def _candidate(server: Server, name: str) -> tuple[str, str]:
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    server.api(
        "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "full_name": name}
    )
    return email, server.token(email)


def _sit_foundation(server: Server, token: str, *, right: bool) -> dict[str, Any]:
    attempt = server.api("POST", "/api/v1/exams/e2e-foundation/attempts", token=token)
    for slot in attempt["items"]:
        path = f"/api/v1/attempts/{attempt['id']}/items/{slot['ref']}"
        item = server.api("GET", path, token=token)
        keyed = next(o["id"] for o in item["options"] if o["text"].startswith("Action b "))
        other = next(o["id"] for o in item["options"] if o["id"] != keyed)
        server.api(
            "PUT",
            f"/api/v1/attempts/{attempt['id']}/responses/{slot['ref']}",
            {"choices": [keyed if right else other], "flagged": False, "seq": 1},
            token=token,
        )
    server.api("POST", f"/api/v1/attempts/{attempt['id']}/submit", token=token)
    result: dict[str, Any] = server.api(
        "GET", f"/api/v1/attempts/{attempt['id']}/result", token=token
    )
    return result


def _sign_in(page: Any, email: str, target: str) -> None:
    page.goto(f"/sign-in?next={target}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))


def test_the_catalog_says_who_may_start_what_and_from_when(
    context: Any, server: Server, screenshots: Any
) -> None:
    email, token = _candidate(server, "Ada Failed-Once")
    assert _sit_foundation(server, token, right=False)["passed"] is False
    page = context.new_page()
    _sign_in(page, email, "/exams")

    cards = page.locator(".card h2")
    expect(cards).to_have_text(
        ["MLOps Foundation (test)", "MLOps Practical (test)", "MLOps Professional (test)"]
    )  # foundation first, then by level
    foundation = page.locator(
        ".card", has=page.get_by_role("heading", name="MLOps Foundation (test)")
    )
    take = foundation.get_by_role("button", name="Take MLOps Foundation (test)")
    expect(take).to_be_disabled()
    expect(foundation.locator(".unavailable")).to_have_text(
        re.compile(r"you can retake this exam from \d{1,2} \w+ \d{4}\.$")
    )
    professional = page.locator(
        ".card", has=page.get_by_role("heading", name="MLOps Professional (test)")
    )
    expect(
        professional.get_by_role("button", name="Take MLOps Professional (test)")
    ).to_be_disabled()
    expect(professional.locator(".unavailable")).to_have_text(
        "This exam needs a current MLOps Foundation (test) certificate first."
    )
    assert "e2e-foundation" not in (professional.inner_text())
    assert_accessible(page, "catalog with eligibility")
    page.screenshot(path=screenshots / "catalog-eligibility.png", full_page=True)

    # The result of the failed attempt names the retake date too.
    attempts = page.request.get("/api/v1/exams")  # a signed-in page request works too
    assert attempts.ok


def test_a_printable_certificate_has_a_qr_code_to_its_verification_page(
    context: Any, server: Server, screenshots: Any
) -> None:
    email, token = _candidate(server, "Katherine Printed")
    certificate_id = str(_sit_foundation(server, token, right=True)["certificate_id"])
    page = context.new_page()
    _sign_in(page, email, "/certificates")
    page.get_by_role("link", name=re.compile("^Printable certificate")).click()
    expect(page.locator("#holder-name")).to_have_text("Katherine Printed")
    expect(page.get_by_role("heading", level=1)).to_have_text("MLOps Foundation (test)")
    qr = page.locator("svg.qr")
    expect(qr).to_be_visible()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert [d.text for d in decoded] == [f"{server.url}/verify/{certificate_id}"]
    assert_accessible(page, "printable certificate")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    page.screenshot(path=screenshots / "certificate-print.png", full_page=True)


def test_the_api_documentation_renders_with_no_network(browser: Any, server: Server) -> None:
    outside: list[str] = []
    context = browser.new_context(base_url=server.url)  # the pages' policy enforced

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page = context.new_page()
    page.route("**/*", only_this_server)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Assay")
    expect(page.locator(".opblock").first).to_be_visible()
    page.goto("/redoc")
    expect(page.get_by_role("heading", name=re.compile("^Assay"))).to_be_visible()
    # ReDoc's footer logo lives on its makers' site: the policy stops that request
    # before it leaves, and the page hides the image.
    assert outside == []
    context.close()


@pytest.mark.parametrize("path", ["/exams", "/verify", "/register", "/sign-in", "/docs", "/redoc"])
def test_pages_work_under_their_content_security_policy(
    browser: Any, server: Server, path: str
) -> None:
    context = browser.new_context(base_url=server.url)  # the policy enforced
    refused: list[str] = []
    page = context.new_page()
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    response = page.goto(path)
    assert response is not None and response.ok
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert (
        "unsafe-inline"
        not in headers["content-security-policy"].split("script-src")[1].split(";")[0]
    )
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    # Every script and style of the page has been fetched (and judged by the policy) by
    # the load event; "networkidle" instead waited on the machine's quiet (flaky).
    page.wait_for_load_state("load")
    # Nothing of ours is refused: no inline script, no asset of this server. What the
    # policy may refuse is a third party's (ReDoc's footer logo), which it should.
    for message in refused:
        found = re.search(r"'(https?://[^']+)'", message)
        assert found and not found.group(1).startswith(server.url), message
    context.close()


def test_a_markdown_stem_is_rendered(context: Any, server: Server) -> None:
    email, token = _candidate(server, "Mark Down")
    attempt = server.api("POST", "/api/v1/exams/e2e-foundation/attempts", token=token)
    page = context.new_page()
    _sign_in(page, email, f"/attempts/{attempt['id']}")
    for slot in range(len(attempt["items"])):
        page.locator("#navigator-list button").nth(slot).click()
        expect(page.locator("#item-heading")).to_have_text(f"Question {slot + 1} of 5")
        if page.locator(".stem code").count():
            break
    expect(page.locator(".stem code").first).to_have_text("dvc repro")
    expect(page.locator(".stem pre code")).to_contain_text("cmd: python train.py")
    expect(page.locator(".stem")).not_to_contain_text("```")
    assert_accessible(page, "markdown stem")


def test_strike_outs_and_notes_survive_a_reload_and_the_exam_keeps_its_chrome(
    context: Any, server: Server, screenshots: Any
) -> None:
    email, token = _candidate(server, "Strike Note")
    attempt = server.api("POST", "/api/v1/exams/e2e-foundation/attempts", token=token)
    page = context.new_page()
    _sign_in(page, email, f"/attempts/{attempt['id']}")
    expect(page.locator("#item-heading")).to_have_text("Question 1 of 5")
    # No site navigation during the exam: one way out, which saves.
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_role("link", name="Exams")).to_have_count(0)

    page.get_by_role("button", name="Strike out option a").click()
    expect(page.get_by_role("button", name="Strike out option a")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_text("My note on this item").click()
    page.get_by_label("My note on this item (kept on this device, not graded)").fill(
        "check the rollback order"
    )
    assert_accessible(page, "exam with strike-out and note")
    page.screenshot(path=screenshots / "exam-marks.png", full_page=True)

    page.reload()
    expect(page.locator("#item-heading")).to_have_text("Question 1 of 5")
    expect(page.get_by_role("button", name="Strike out option a")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("label.option.struck")).to_have_count(1)
    expect(
        page.get_by_label("My note on this item (kept on this device, not graded)")
    ).to_have_value("check the rollback order")

    # The review before submitting lists what is left, with a way back to each.
    page.get_by_role("button", name="Submit exam…").click()
    dialog = page.get_by_role("dialog", name="Submit your exam?")
    dialog.get_by_role("button", name="Go to question 3 (unanswered)").click()
    expect(page.locator("#item-heading")).to_have_text("Question 3 of 5")

    # The reload was not the candidate hiding the exam: proctors see no such event.
    proctor = f"proctor-{uuid.uuid4().hex[:8]}@example.org"
    server.cli("users", "create", "--email", proctor, "--password", PASSWORD, "--role", "proctor")
    detail = server.api(
        "GET", f"/api/v1/review/attempts/{attempt['id']}", token=server.token(proctor)
    )
    seen = {entry["type"] for entry in detail["timeline"]} | {
        entry["kind"] for entry in detail["timeline"]
    }
    assert "tab_hidden" not in seen and "focus_lost" not in seen, seen

    page.get_by_role("button", name="Save and leave the exam").click()
    page.get_by_role("dialog", name="Leave the exam?").get_by_role(
        "button", name="Save and leave"
    ).click()
    expect(page).to_have_url(re.compile(r"/exams$"))
    expect(page.get_by_role("link", name="Resume MLOps Foundation (test)")).to_be_visible()
