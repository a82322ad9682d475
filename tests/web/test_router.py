"""The pages people read, rendered on the server: the catalog's order and eligibility,
an exam's introduction, the result by domain with the retake date, verification by
address, the printable certificate; and what every response carries (security headers),
the offline API docs and the favicon."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.certificates import ids
from app.cli import describe_database
from app.core.clock import ManualClock
from tests.bank import blueprint, standard_items, write_bank
from tests.certificates.conftest import pass_exam
from tests.conftest import PASSWORD, Candidate, sign_up

HTML = {"Accept": "text/html"}


async def browser_sign_in(client: httpx.AsyncClient, candidate: Candidate) -> None:
    r = await client.post(
        "/api/v1/auth/session", json={"email": candidate.email, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    """Written out of level order, with a prerequisite."""
    return write_bank(
        tmp_path / "bank",
        [
            blueprint(
                "test-professional",
                title="MLOps Professional (Engineer)",
                level="professional",
                pass_mark=0.72,
                validity_months=24,
                prerequisites=["test-foundation"],
            ),
            blueprint("test-foundation", title="MLOps Foundation"),
        ],
        standard_items(),
    )


async def _fail(candidate: Candidate, clock: ManualClock) -> dict[str, object]:
    started = (await candidate.post("/api/v1/exams/test-foundation/attempts")).json()
    clock.advance(minutes=5)
    done = await candidate.post(f"/api/v1/attempts/{started['id']}/submit")
    assert done.status_code == 202, done.text
    result: dict[str, object] = (
        await candidate.get(f"/api/v1/attempts/{started['id']}/result")
    ).json()
    assert result["passed"] is False
    return {**result, "id": started["id"]}


async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, published: Path
) -> None:
    for url, headers in (("/exams", HTML), ("/api/v1/exams", {}), ("/nowhere", {})):
        r = await client.get(url, headers=headers)
        policy = r.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert r.headers["x-frame-options"] == "DENY"
        assert len(r.headers.get_list("content-security-policy")) == 1


@pytest.mark.parametrize(
    ("path", "asset"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]
)
async def test_the_api_docs_are_served_whole_and_allow_only_their_own_script(
    client: httpx.AsyncClient, path: str, asset: str
) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "googleapis" not in page.text
    assert f'src="/static/docs/{asset}"' in page.text
    policy = page.headers["content-security-policy"]
    assert len(page.headers.get_list("content-security-policy")) == 1
    for inline in re.findall(r"<script>(.*?)</script>", page.text, re.S):
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    script_src = policy.split("script-src")[1].split(";")[0]
    assert "unsafe-inline" not in script_src
    served = await client.get(f"/static/docs/{asset}")
    assert served.status_code == 200 and len(served.content) > 100_000
    again = await client.get(path)  # the same page each time, headers not piling up
    assert (
        again.headers.get_list("x-request-id") != []
        and len(again.headers.get_list("x-request-id")) == 1
    )


async def test_the_favicon_is_there(client: httpx.AsyncClient) -> None:
    r = await client.get("/favicon.ico")
    assert r.status_code == 308 and r.headers["location"] == "/static/favicon.svg"
    icon = await client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


async def test_the_catalog_is_in_level_order_and_says_who_may_start_what(
    client: httpx.AsyncClient, published: Path, clock: ManualClock
) -> None:
    anonymous = (await client.get("/exams", headers=HTML)).text
    titles = re.findall(r'<h2 id="exam-[^"]+">([^<]+)</h2>', anonymous)
    assert titles == ["MLOps Foundation", "MLOps Professional (Engineer)"]
    assert "Sign in to take MLOps Foundation" in anonymous
    assert 'href="/register"' in anonymous

    candidate = await sign_up(client)
    failed = await _fail(candidate, clock)
    await browser_sign_in(client, candidate)
    page = (await client.get("/exams", headers=HTML)).text
    retake = (clock.now() + timedelta(days=14)).date()
    assert (
        "After a failed attempt there is a waiting period: you can retake this exam from "
        f"{retake.day} {retake.strftime('%B %Y')}." in page
    )
    assert "This exam needs a current MLOps Foundation certificate first." in page
    assert "test-foundation" not in re.sub(r'(id|href|for|aria-describedby)="[^"]*"', "", page)
    assert page.count("disabled aria-describedby") == 2

    result = (await client.get(f"/attempts/{failed['id']}/result", headers=HTML)).text
    assert f"You can retake this exam from {retake.day} {retake.strftime('%B %Y')}." in result
    assert 'id="domains"' in result and "ML lifecycle and MLOps principles" in result
    # By domain: the share right, never which item.
    assert re.search(r"0 of \d", result)


async def test_an_exam_opens_with_its_rules_and_an_explicit_start(
    client: httpx.AsyncClient, published: Path, clock: ManualClock
) -> None:
    assert (await client.get("/exams/test-foundation", headers=HTML)).status_code == 303
    candidate = await sign_up(client)
    await browser_sign_in(client, candidate)
    intro = await client.get("/exams/test-foundation", headers=HTML)
    assert intro.status_code == 200
    assert 'id="duration">30 minutes<' in intro.text and 'id="item-count">5<' in intro.text
    assert "Start the exam" in intro.text and "I have read the rules" in intro.text
    # Nothing started by reading the rules.
    assert (await candidate.get("/api/v1/exams")).status_code == 200
    started = await candidate.post("/api/v1/exams/test-foundation/attempts")
    resume = (await client.get("/exams/test-foundation", headers=HTML)).text
    assert f'href="/attempts/{started.json()["id"]}"' in resume and "Resume the exam" in resume
    assert (await client.get("/exams/no-such-exam", headers=HTML)).status_code == 404


async def test_verification_has_an_address_and_explains_malformed_ids(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    holder = await sign_up(client, name="Grace Hopper")
    shown = str((await pass_exam(holder, sessionmaker, clock))["certificate_id"])
    form = await client.get(
        "/verify", params={"certificate_id": shown.lower().replace("-", ""), "last_name": "Hopper"}
    )
    assert (
        form.status_code == 303 and form.headers["location"] == f"/verify/{shown}?last_name=Hopper"
    )
    page = await client.get(form.headers["location"], headers=HTML)
    assert (
        page.status_code == 200 and "Grace Hopper (the last name you entered matches)" in page.text
    )
    assert "MLOps Foundation</dd>" in page.text  # the level once, not "Foundation (Foundation)"

    for typed, words in (
        (
            "12345",
            "A certificate ID has 18 letters and digits, in three groups of six; this one has 5.",
        ),
        ("ABCDEF-GHJKMN-PQRSTU", "only letters and digits (no U)"),
        (
            shown[:-1] + ("0" if shown[-1] != "0" else "1"),
            "a character is mistyped or two are swapped",
        ),
    ):
        for answer in (
            await client.get("/verify", params={"certificate_id": typed}, headers=HTML),
            await client.get(f"/verify/{typed}", headers=HTML),
        ):
            assert answer.status_code == 422
            assert words in answer.text and "Not a certificate ID" in answer.text
    unknown = ids.display(ids.new_certificate_id())
    assert (await client.get(f"/verify/{unknown}", headers=HTML)).status_code == 404


async def test_the_printable_certificate_is_the_holders_alone(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    holder = await sign_up(client, name="Katherine Johnson")
    shown = str((await pass_exam(holder, sessionmaker, clock))["certificate_id"])
    await browser_sign_in(client, holder)
    mine = await client.get("/certificates", headers=HTML)
    assert f'href="/certificates/{shown}/print"' in mine.text
    assert f'href="/api/v1/certificates/{shown}/badge.svg"' in mine.text
    assert '<span class="grp">' in mine.text  # the ID never breaks inside a group
    printed = await client.get(f"/certificates/{shown}/print", headers=HTML)
    assert printed.status_code == 200
    assert (
        "Katherine Johnson" in printed.text
        and "<svg" in printed.text
        and 'class="qr"' in printed.text
    )
    assert f"/verify/{shown}" in printed.text
    client.cookies.clear()
    other = await sign_up(client, name="Someone Else")
    await browser_sign_in(client, other)
    assert (await client.get(f"/certificates/{shown}/print", headers=HTML)).status_code == 404


def test_the_database_is_described_for_people(tmp_path: Path) -> None:
    assert (
        describe_database(f"sqlite+aiosqlite:///{tmp_path}/a.db") == f"SQLite file {tmp_path}/a.db"
    )
    shown = describe_database("postgresql+asyncpg://assay:s3cret@db:5432/assay")
    assert "s3cret" not in shown and shown.startswith("postgresql+asyncpg://assay:***@db")
