"""The regrade pages: authors and admins only; the preview's counts on the page; the
apply form for admins alone; what the apply did once it ran."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import ManualClock
from tests.conftest import Candidate, sign_up
from tests.proctoring.test_pages import HTML, browser_sign_in
from tests.regrading.conftest import MISKEYED, Cohort, publish_fix


async def test_only_authors_and_admins_get_the_regrade_pages(
    client: httpx.AsyncClient, bank: Path, author: Candidate
) -> None:
    anonymous = await client.get("/author/regrades", headers=HTML)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?next=%2Fauthor%2Fregrades")
    candidate = await sign_up(client)
    await browser_sign_in(client, candidate.email)
    page = await client.get("/author/regrades", headers=HTML)
    assert page.status_code == 403 and "Only authors and admins see regrades." in page.text
    client.cookies.clear()
    await browser_sign_in(client, author.email)
    page = await client.get("/author/regrades", headers=HTML)
    assert page.status_code == 200 and 'id="propose-form"' in page.text
    client.cookies.clear()


async def test_the_preview_page_then_the_applied_page(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bank: Path,
    cohort: Cohort,
    author: Candidate,
    admin: Candidate,
) -> None:
    await browser_sign_in(client, author.email)
    listing = await client.get("/author/regrades", headers=HTML)
    assert 'id="key-changes"' not in listing.text
    await publish_fix(bank, sessionmaker, clock)
    listing = await client.get("/author/regrades", headers=HTML)
    assert f'data-rekey="{MISKEYED}"' in listing.text
    assert "version 2 keys c; delivered versions keyed b." in listing.text
    r = await author.post(
        "/api/v1/regrades", json={"item_id": MISKEYED, "change": "rekey", "reason": "c is right"}
    )
    regrade_id = r.json()["id"]
    listing = await client.get("/author/regrades", headers=HTML)
    assert f'href="/author/regrades/{regrade_id}"' in listing.text
    assert 'id="key-changes"' not in listing.text  # the proposal covers it
    page = await client.get(f"/author/regrades/{regrade_id}", headers=HTML)
    assert page.status_code == 200
    total = page.text.split('id="impact-total"')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in total.split("<td>")[1:]]
    assert cells == ["4", "3", "1", "1", "1", "0"]
    assert "Now passes" in page.text and "60.0%" in page.text and "80.0%" in page.text
    assert "a key error never takes a pass away" in page.text
    assert 'id="apply-form"' not in page.text  # authors preview; admins apply
    client.cookies.clear()

    await browser_sign_in(client, admin.email)
    page = await client.get(f"/author/regrades/{regrade_id}", headers=HTML)
    assert 'id="apply-form"' in page.text
    r = await admin.post(f"/api/v1/regrades/{regrade_id}/apply", json={"reason": "Confirmed."})
    assert r.status_code == 202
    await app.state.jobs.drain()
    page = await client.get(f"/author/regrades/{regrade_id}", headers=HTML)
    assert "What the apply did" in page.text and "Applied: Confirmed." in page.text
    total = page.text.split('id="impact-total"')[1].split("</tr>")[0]
    assert [c.split("</td>")[0] for c in total.split("<td>")[1:]] == cells
    assert 'id="apply-form"' not in page.text
    client.cookies.clear()


async def test_an_item_page_proposes_a_key_correction_for_its_item(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    cohort: Cohort,
    author: Candidate,
) -> None:
    from sqlalchemy import select

    from app.exams.models import ItemVersion

    async with sessionmaker() as session:
        version_id = await session.scalar(
            select(ItemVersion.id).where(ItemVersion.item_id == MISKEYED)
        )
    await browser_sign_in(client, author.email)
    page = await client.get(f"/author/items/{version_id}", headers=HTML)
    assert page.status_code == 200
    assert 'id="propose-form"' in page.text and f'value="{MISKEYED}"' in page.text
    assert '<script type="module" src="/static/regrades.js">' in page.text
    client.cookies.clear()
