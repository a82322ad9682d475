"""An employer checks a certificate ID on the public page, on a desktop and on a phone.

Each case sets up a certificate in some state through the API and says what the page
must show; a revoked (or superseded) case is one more entry in ``CASES`` once the
credentials work gives us a way to revoke."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.certificates import ids
from tests.e2e.conftest import PASSWORD, Server, assert_accessible

pytestmark = pytest.mark.browser


def earn_certificate(server: Server, full_name: str) -> str:
    """Registers a candidate who passes the foundation exam; returns the certificate ID."""
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    server.api(
        "POST",
        "/api/v1/auth/register",
        {"email": email, "password": PASSWORD, "full_name": full_name},
    )
    token = server.token(email)
    attempt = server.api("POST", "/api/v1/exams/e2e-foundation/attempts", token=token)
    for slot in attempt["items"]:
        item = server.api(
            "GET", f"/api/v1/attempts/{attempt['id']}/items/{slot['ref']}", token=token
        )
        keyed = next(o["id"] for o in item["options"] if o["text"].startswith("Action b "))
        server.api(
            "PUT",
            f"/api/v1/attempts/{attempt['id']}/responses/{slot['ref']}",
            {"choices": [keyed], "seq": 1},
            token=token,
        )
    server.api("POST", f"/api/v1/attempts/{attempt['id']}/submit", token=token)
    result = server.api("GET", f"/api/v1/attempts/{attempt['id']}/result", token=token)
    return str(result["certificate_id"])


@dataclass(frozen=True)
class Case:
    name: str
    holder: str
    make: Callable[[Server, str], str]  # (server, holder name) -> certificate ID
    verdict: str
    explanation: str
    reason: str | None = None  # the revocation reason the page must show


CASES = [
    Case(
        "active",
        "Grace Brewster Hopper",
        earn_certificate,
        "Valid",
        "This certificate is genuine and current.",
    ),
    # Case("revoked", ..., make=earn_then_revoke, verdict="Revoked", reason="..."),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_employer_verifies_a_certificate(
    context: Any, server: Server, screenshots: Path, case: Case
) -> None:
    certificate_id = case.make(server, case.holder)
    page = context.new_page()

    # From the form: the ID typed loosely, and the holder's last name.
    page.goto("/verify")
    assert_accessible(page, "verify form")
    page.get_by_label("Certificate ID", exact=True).fill(certificate_id.replace("-", "").lower())
    page.get_by_label("Holder's last name").fill("hopper")
    page.get_by_role("button", name="Verify").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_have_text(case.verdict)
    expect(page.locator("#verification")).to_contain_text(case.explanation)
    expect(page.locator("#verification")).to_contain_text(certificate_id)
    expect(page.locator("#issued-on")).to_have_text(re.compile(r"^\d{1,2} \w+ \d{4}$"))
    expect(page.locator("#expires-on")).to_have_text(re.compile(r"^\d{1,2} \w+ \d{4}$"))
    expect(page.locator("#holder")).to_contain_text(
        f"{case.holder} (the last name you entered matches)"
    )
    if case.reason:
        expect(page.locator("#revocation-reason")).to_have_text(case.reason)
    # The answer has its own address, to bookmark or share, with the name in it.
    expect(page).to_have_url(f"{server.url}/verify/{certificate_id}?last_name=hopper")
    expect(page.locator(".share-url")).to_have_text(f"{server.url}/verify/{certificate_id}")
    assert_accessible(page, f"verify result ({case.name})")
    page.screenshot(path=screenshots / f"verify-{case.name}.png", full_page=True)

    # A wrong last name answers exactly as an unknown ID would: the ID alone confirms
    # no name, and the holder's name is not shown.
    page.get_by_label("Holder's last name").fill("Lovelace")
    page.get_by_role("button", name="Verify").click()
    expect(verdict).to_have_text("Not found")
    expect(page.locator("main")).not_to_contain_text(case.holder)

    # The share link on a phone: status and dates at a glance, no sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/verify/{certificate_id}")
    expect(verdict).to_have_text(case.verdict)
    expect(page.locator("#holder")).to_contain_text("Enter the holder's last name")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, f"verify result on a phone ({case.name})")
    page.screenshot(path=screenshots / f"verify-{case.name}-phone.png", full_page=True)


def test_an_unknown_id_is_reported_in_plain_words(context: Any, server: Server) -> None:
    page = context.new_page()
    unknown = ids.display(ids.new_certificate_id())  # well formed, issued to nobody
    response = page.goto(f"/verify/{unknown}")
    assert response is not None and response.status == 404
    expect(page.locator("#verdict")).to_have_text("Not found")
    expect(page.locator("#verification")).to_contain_text("Check it for typing mistakes")
    assert_accessible(page, "verify not found")

    # Something that cannot be an ID is told so, with what an ID looks like.
    page.goto("/verify")
    page.get_by_label("Certificate ID", exact=True).fill("12345")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#verdict")).to_have_text("Not a certificate ID")
    expect(page.locator("#malformed")).to_have_text(
        "A certificate ID has 18 letters and digits, in three groups of six; this one has 5."
    )
    expect(page.get_by_label("Certificate ID", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    assert_accessible(page, "verify malformed")
