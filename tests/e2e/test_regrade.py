"""An author in the browser proposes a key correction and sees its impact; an admin
applies it; the candidate whose answer the correction accepts now passes. Then, on a
server of its own with seventy candidates: the author finds the item flagged as likely
mis-keyed on the bank page, opens it and proposes the re-key from the item's page. Last,
on a server of its own, a check correction previewed and applied on a scenario the
sandbox really graded."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.bank import PREFIX
from tests.e2e.conftest import PASSWORD, REPO, Server, assert_accessible, serve
from tests.e2e.test_proctor_review import GRADING_SECONDS, sign_in

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


# The bank page's mis-key flag needs 50 responses to the item: a server of its own whose
# candidates answer the foundation exam by ability, on a database no other test touches.
MISKEYED = "LIF-F-001"
STRONG = WEAK = 38  # 3 of the 4 lifecycle items on a form: about 57 answer the item


@pytest.fixture(scope="module")
def cohort_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Sign-ups are hashed cheaply here: the test makes seventy of them.
    cheap = {"ASSAY_ARGON2_TIME_COST": "1", "ASSAY_ARGON2_MEMORY_KIB": "8192"}
    saved = {k: os.environ.get(k) for k in cheap}
    os.environ.update(cheap)
    try:
        servers = serve(tmp_path_factory.mktemp("e2e-miskey"), REPO / "scenarios")
        server = next(servers)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    yield server
    servers.close()


def sit_by_ability(server: Server, name: str, ability: str) -> tuple[str, str, bool]:
    """Strong candidates answer every item with its key (b) except the mis-keyed one,
    where they choose c, the right answer; weak ones choose b there and get every other
    item wrong; a medium one chooses c there and gets one other item wrong (3 of 5 when
    the form holds the item: a fail that the correction turns into a pass). Returns the
    email, the attempt id and whether the form held the mis-keyed item."""
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    server.api(
        "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "full_name": name}
    )
    token = server.token(email)
    attempt = server.api("POST", "/api/v1/exams/e2e-foundation/attempts", token=token)
    base = f"/api/v1/attempts/{attempt['id']}"
    wrong = {"strong": 0, "medium": 1, "weak": 5}[ability]
    held = False
    for slot in attempt["items"]:
        item = server.api("GET", f"{base}/items/{slot['ref']}", token=token)
        if item_id(item["stem"]) == MISKEYED:
            held = True
            answer = "Action b " if ability == "weak" else "Action c "
        elif wrong:
            wrong -= 1
            answer = "Action a "
        else:
            answer = "Action b "
        chosen = next(o["id"] for o in item["options"] if o["text"].startswith(answer))
        body: dict[str, Any] = {"choices": [chosen], "seq": 1}
        server.api("PUT", f"{base}/responses/{slot['ref']}", body, token=token)
    server.api("POST", f"{base}/submit", token=token)
    return email, str(attempt["id"]), held


def test_an_author_finds_a_flagged_item_and_regrades_it_from_its_page(
    browser: Any, cohort_server: Server, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    server = cohort_server
    author = f"author-{uuid.uuid4().hex[:8]}@example.org"
    admin = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    for email, role, name in ((author, "author", "Ann Author"), (admin, "admin", "Ada Admin")):
        server.cli(
            "users", "create", "--email", email, "--password", PASSWORD,
            "--role", role, "--name", name,
        )  # fmt: skip
    for n in range(STRONG + WEAK):
        sit_by_ability(server, f"Candidate {n}", "strong" if n < STRONG else "weak")
    held = False
    for n in range(4):  # until a medium candidate's form holds the item
        candidate, attempt_id, held = sit_by_ability(server, f"Medium {n}", "medium")
        if held:
            break
    assert held
    before = server.api(
        "GET", f"/api/v1/attempts/{attempt_id}/result", token=server.token(candidate)
    )
    assert (before["score"], before["passed"]) == (0.6, False)

    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 860}, bypass_csp=True
    )
    try:
        page = context.new_page()
        sign_in(page, author, "/author/items?exam=e2e-foundation")
        expect(page.get_by_role("heading", name="Item analysis", level=1)).to_be_visible()
        row = page.locator("table.stats tbody tr", has_text=MISKEYED)
        expect(row).to_contain_text("Likely mis-keyed")
        assert_accessible(page, "bank with a flagged item")
        row.get_by_role("link", name=re.compile(f"^{MISKEYED}")).click()

        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Item {MISKEYED}")
        expect(page.locator("#flags")).to_contain_text("Likely mis-keyed")
        expect(page.locator("#flags")).to_contain_text("the upper group chose distractor c")
        form = page.locator("#propose-form")
        expect(form.get_by_label("Item id")).to_have_value(MISKEYED)
        form.get_by_role("radio", name=re.compile("^Re-key")).check()
        form.get_by_label(re.compile("^Key")).fill("c")
        form.get_by_role("textbox", name="Reason").fill("The upper group is right: c is the key.")
        assert_accessible(page, "item page with the regrade form")
        form.get_by_role("button", name="Propose and preview").click()

        expect(page.get_by_role("heading", level=1)).to_have_text(f"Regrade of {MISKEYED}")
        preview_row = page.locator("#attempts tr", has_text=attempt_id)
        expect(preview_row).to_contain_text("60.0%")
        expect(preview_row).to_contain_text("80.0%")
        expect(preview_row).to_contain_text("Now passes")
        expect(page.locator("#apply-form")).to_have_count(0)
        assert_accessible(page, "regrade preview from the item page")
        page.screenshot(path=screenshots / "regrade-from-item.png", full_page=True)
        regrade_url = page.url.removeprefix(server.url)
    finally:
        context.close()

    admin_context = browser.new_context(base_url=server.url, bypass_csp=True)
    try:
        admin_page = admin_context.new_page()
        sign_in(admin_page, admin, regrade_url)
        admin_page.get_by_role("textbox", name="Reason").fill("Confirmed with the item's author.")
        admin_page.get_by_role("button", name="Apply the regrade").click()
        expect(admin_page.locator("#regrade-message")).to_contain_text("Applying")
        deadline = time.monotonic() + APPLY_SECONDS
        while "Applied" not in admin_page.locator("#regrade-status").inner_text():
            assert time.monotonic() < deadline, "the apply did not finish"
            time.sleep(0.25)
            admin_page.reload()
        assert_accessible(admin_page, "regrade applied from the item page")
    finally:
        admin_context.close()

    after = server.api(
        "GET", f"/api/v1/attempts/{attempt_id}/result", token=server.token(candidate)
    )
    assert (after["score"], after["passed"]) == (0.8, True) and after["certificate_id"]


def test_an_author_proposes_a_check_correction_from_the_link_a_check_row_gives(
    context: Any, server: Server
) -> None:
    author = f"author-{uuid.uuid4().hex[:8]}@example.org"
    server.cli(
        "users", "create", "--email", author, "--password", PASSWORD,
        "--role", "author", "--name", "Ann Author",
    )  # fmt: skip
    page = context.new_page()
    # The link an exam page's check row carries (tests/regrading/test_check_regrades.py).
    sign_in(
        page,
        author,
        "/author/regrades%3Fscenario_id%3Dincremental-scoring%26check%3Dlate_events_scored",
    )
    form = page.locator("#check-form")
    expect(form.get_by_label("Scenario id")).to_have_value("incremental-scoring")
    expect(form.get_by_label("Check", exact=True)).to_have_value("late_events_scored")
    form.get_by_role("radio", name=re.compile("^Award the check")).check()
    form.get_by_role("button", name=re.compile("^Propose the check correction")).click()
    expect(form.locator("#check-error")).to_contain_text("Give a reason")
    form.get_by_label("Why the check is wrong").fill("The judge rejects late events.")
    assert_accessible(page, "regrades with the check form")
    form.get_by_role("button", name=re.compile("^Propose the check correction")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Regrade of check late_events_scored of incremental-scoring"
    )
    expect(page.locator("#regrade-facts")).to_contain_text("Award the check to everyone graded")
    expect(page.locator("#attempts-empty")).to_be_visible()
    assert_accessible(page, "check regrade preview")


# A check correction needs a real grading of the scenario, and puts a correction in force
# that would score later attempts of other tests differently: a server of its own.
@pytest.fixture(scope="module")
def practical_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    servers = serve(tmp_path_factory.mktemp("e2e-check-regrade"), REPO / "scenarios")
    yield next(servers)
    servers.close()


def graded_practical(server: Server) -> tuple[str, str, str]:
    """A candidate answers the practical exam's question right and hands in the
    scenario's workspace as given (which fails hidden checks); the sandbox grades it.
    Returns the candidate's email, the attempt id and the scenario's id."""
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    server.api(
        "POST",
        "/api/v1/auth/register",
        {"email": email, "password": PASSWORD, "full_name": "Dorothy Vaughan"},
    )
    token = server.token(email)
    attempt = server.api("POST", "/api/v1/exams/e2e-practical/attempts", token=token)
    base = f"/api/v1/attempts/{attempt['id']}"
    scenario_id = ""
    for slot in attempt["items"]:
        item = server.api("GET", f"{base}/items/{slot['ref']}", token=token)
        if item["kind"] == "mcq":
            keyed = next(o["id"] for o in item["options"] if o["text"].startswith("Action b "))
            body: dict[str, Any] = {"choices": [keyed], "seq": 1}
        else:
            scenario = server.scenario_as_given(attempt["id"], slot["ref"])
            scenario_id = scenario.id
            body = {
                "files": {
                    p: t for p, t in scenario.workspace_files.items() if p in scenario.editable
                },
                "seq": 1,
            }
        server.api("PUT", f"{base}/responses/{slot['ref']}", body, token=token)
    server.api("POST", f"{base}/submit", token=token)
    deadline = time.monotonic() + GRADING_SECONDS
    while server.api("GET", f"{base}/result", token=token)["status"] in ("submitted", "grading"):
        assert time.monotonic() < deadline, "grading did not finish"
        time.sleep(0.25)
    return email, str(attempt["id"]), scenario_id


def test_a_check_regrade_is_previewed_on_a_real_grading_and_changes_the_result(
    browser: Any, practical_server: Server, screenshots: Path
) -> None:
    server = practical_server
    author = f"author-{uuid.uuid4().hex[:8]}@example.org"
    admin = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    for email, role, name in ((author, "author", "Ann Author"), (admin, "admin", "Ada Admin")):
        server.cli(
            "users", "create", "--email", email, "--password", PASSWORD,
            "--role", role, "--name", name,
        )  # fmt: skip
    candidate, attempt_id, scenario_id = graded_practical(server)
    candidate_token = server.token(candidate)
    before = server.api("GET", f"/api/v1/attempts/{attempt_id}/result", token=candidate_token)
    detail = server.api("GET", f"/api/v1/review/attempts/{attempt_id}", token=server.token(admin))
    [grading] = detail["grading"]
    assert grading["status"] == "done" and grading["corrected_score"] == grading["score"]
    # The hidden check the workspace as given fails: awarding it raises the score.
    check = next(c for c in grading["checks"] if not c["public"] and not c["passed"])
    possible = sum(c["points"] for c in grading["checks"])
    earned = sum(c["earned"] for c in grading["checks"]) + check["points"]
    expected = 0.5 + 0.5 * earned / possible  # the question right: half the weight
    old, new = f"{100 * before['score']:.1f}%", f"{100 * expected:.1f}%"
    assert new != old

    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 860}, bypass_csp=True
    )
    try:
        page = context.new_page()
        sign_in(
            page,
            author,
            f"/author/regrades%3Fscenario_id%3D{scenario_id}%26check%3D{check['name']}",
        )
        form = page.locator("#check-form")
        expect(form.get_by_label("Check", exact=True)).to_have_value(check["name"])
        form.get_by_role("radio", name=re.compile("^Award the check")).check()
        form.get_by_label("Why the check is wrong").fill("The judge rejects a correct fix.")
        form.get_by_role("button", name=re.compile("^Propose the check correction")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Regrade of check {check['name']} of {scenario_id}"
        )
        row = page.locator("#attempts tr", has_text=attempt_id)
        expect(row).to_contain_text(old)
        expect(row).to_contain_text(new)
        assert_accessible(page, "check regrade preview on a real grading")
        page.screenshot(path=screenshots / "check-regrade-preview.png", full_page=True)
        regrade_url = page.url.removeprefix(server.url)
    finally:
        context.close()

    admin_context = browser.new_context(base_url=server.url, bypass_csp=True)
    try:
        admin_page = admin_context.new_page()
        sign_in(admin_page, admin, regrade_url)
        admin_page.get_by_role("textbox", name="Reason").fill("Confirmed: the judge is wrong.")
        admin_page.get_by_role("button", name="Apply the regrade").click()
        expect(admin_page.locator("#regrade-message")).to_contain_text("Applying")
        deadline = time.monotonic() + APPLY_SECONDS
        while "Applied" not in admin_page.locator("#regrade-status").inner_text():
            assert time.monotonic() < deadline, "the apply did not finish"
            time.sleep(0.25)
            admin_page.reload()
        expect(admin_page.locator("#attempts tr", has_text=attempt_id)).to_contain_text(new)
        assert_accessible(admin_page, "check regrade applied")

        # The review shows the check awarded, and the corrected score beside the raw one.
        admin_page.goto(f"/review/attempts/{attempt_id}")
        expect(admin_page.locator("#grading-title")).to_be_visible()
        awarded = admin_page.get_by_role("row", name=re.compile(f"^{check['name']}"))
        expect(awarded).to_contain_text("Passed, awarded by regrade")
        expect(awarded).to_contain_text("The judge rejects a correct fix.")
        assert_accessible(admin_page, "review with a corrected check")
    finally:
        admin_context.close()

    candidate_context = browser.new_context(base_url=server.url, bypass_csp=True)
    try:
        candidate_page = candidate_context.new_page()
        sign_in(candidate_page, candidate, f"/attempts/{attempt_id}/result")
        expect(candidate_page.locator("#score")).to_have_text(new)
    finally:
        candidate_context.close()
    after = server.api("GET", f"/api/v1/attempts/{attempt_id}/result", token=candidate_token)
    assert after["score"] == pytest.approx(expected, abs=1e-4) and after["score"] > before["score"]
