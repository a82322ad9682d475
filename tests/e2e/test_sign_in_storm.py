"""A sign-in storm, from the person's side: the server sheds what its hashing threads
cannot clear in time (503 sign_in_busy with Retry-After, tests/identity/test_sign_in_busy.py);
the sign-in page says they are in line, asks again by itself after Retry-After, and signs
them in. The first two answers here are the server's busy answer, as the contract shapes
it; the third request goes to the real server."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Server, assert_accessible

pytestmark = pytest.mark.browser

BUSY = {
    "error": {
        "code": "sign_in_busy",
        "message": "Many people are signing in at this moment; you will be signed in shortly.",
        "details": {"retry_after": 1},
    }
}


def test_a_busy_sign_in_waits_in_line_then_signs_in(context: Any, server: Server) -> None:
    server.api(
        "POST",
        "/api/v1/auth/register",
        {"email": "storm@example.org", "password": PASSWORD, "full_name": "Stormy Candidate"},
    )
    asked: list[str] = []

    def busy_twice(route: Any) -> None:
        asked.append(route.request.method)
        if len(asked) <= 2:
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=json.dumps(BUSY),
            )
        else:
            route.continue_()

    page = context.new_page()
    page.route("**/api/v1/auth/session", busy_twice)
    page.goto("/sign-in?next=/exams")
    page.get_by_label("Email").fill("storm@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    wait = page.locator("#form-wait")
    expect(wait).to_be_visible()
    expect(wait).to_contain_text("Many people are signing in at this moment")
    expect(wait).to_have_attribute("role", "status")
    expect(page.locator("#form-error")).to_be_hidden()  # a wait, not an error
    assert_accessible(page, "sign-in-busy")

    page.wait_for_url(lambda url: urlparse(url).path == "/exams")
    assert asked == ["POST", "POST", "POST"]
