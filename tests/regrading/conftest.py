"""A bank whose every form holds the same five items, one of them mis-keyed, and four
candidates whose results a correction moves in each possible way."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attempts.models import AttemptItem
from app.config import Settings
from app.core.clock import ManualClock
from app.core.db import session_scope
from app.exams import service as exams_service
from app.exams.content import load_bank
from app.exams.models import ItemVersion
from app.identity.models import Role
from tests.bank import blueprint, item, write_bank
from tests.conftest import Candidate, sign_up
from tests.proctoring.conftest import staff_member

MISKEYED = "LIF-F-001"
# Every other item is keyed "b"; the mis-keyed one is keyed "b" and should be "c".
OTHERS = ["LIF-F-002", "LIF-F-003", "DAT-F-001", "DAT-F-002"]


def bank_items(miskeyed_key: str = "b") -> list[dict[str, object]]:
    items = [item("lifecycle", "foundation", n) for n in (2, 3)]
    items += [item("data", "foundation", n) for n in (1, 2)]
    items.append(item("lifecycle", "foundation", 1, key=(miskeyed_key,)))
    return items


def publish_dir(root: Path, miskeyed_key: str) -> Path:
    return write_bank(
        root,
        [
            blueprint(
                "test-foundation",
                draws=[
                    {"domain": "lifecycle", "level": "foundation", "count": 3},
                    {"domain": "data", "level": "foundation", "count": 2},
                ],
            )
        ],
        bank_items(miskeyed_key),
    )


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # One attempt per batch, so an apply over four attempts is four transactions.
    return settings.model_copy(update={"regrade_batch": 1})


@pytest.fixture
async def bank(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> Path:
    root = publish_dir(tmp_path / "regrade-bank", "b")
    async with session_scope(sessionmaker) as session:
        await exams_service.publish_bank(session, clock, load_bank(root))
    return root


async def publish_fix(
    root: Path, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    """The author fixes the key in git and publishes: version 2 of the item."""
    publish_dir(root, "c")
    async with session_scope(sessionmaker) as session:
        await exams_service.publish_bank(session, clock, load_bank(root))


async def answer(
    candidate: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
    attempt_id: str,
    choices: dict[str, str],
) -> None:
    """Answers by item id and authored option id (the labels are per attempt)."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(AttemptItem.ref, AttemptItem.option_order, ItemVersion.item_id)
            .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
            .where(AttemptItem.attempt_id == uuid.UUID(attempt_id))
        )
        slots = {item_id: (ref, order) for ref, order, item_id in rows}
    for item_id, option in choices.items():
        ref, order = slots[item_id]
        r = await candidate.put(
            f"/api/v1/attempts/{attempt_id}/responses/{ref}",
            json={"choices": ["abcde"[order.index(option)]], "seq": 1},
        )
        assert r.status_code == 200, r.text


async def sit(
    candidate: Candidate,
    sessionmaker: async_sessionmaker[AsyncSession],
    choices: dict[str, str],
    *,
    submit: bool = True,
) -> str:
    r = await candidate.post("/api/v1/exams/test-foundation/attempts")
    assert r.status_code == 201, r.text
    attempt_id = str(r.json()["id"])
    await answer(candidate, sessionmaker, attempt_id, choices)
    if submit:
        r = await candidate.post(f"/api/v1/attempts/{attempt_id}/submit")
        assert r.status_code == 202, r.text
    return attempt_id


@dataclass
class Cohort:
    """Four scored attempts on the mis-keyed form (pass mark 70 %: 4 of 5 passes).

    - ``gains``: chose the right answer (c) and passes anyway: 4/5 -> 5/5;
    - ``crosses_up``: chose c, one other wrong: 3/5 fail -> 4/5 pass;
    - ``crosses_down``: chose the old key (b), one other wrong: 4/5 pass -> 3/5;
    - ``untouched``: everything wrong, the mis-keyed item too (a): 0/5 -> 0/5.
    """

    gains: tuple[Candidate, str]
    crosses_up: tuple[Candidate, str]
    crosses_down: tuple[Candidate, str]
    untouched: tuple[Candidate, str]


@pytest.fixture
async def cohort(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], bank: Path
) -> Cohort:
    right = dict.fromkeys(OTHERS, "b")
    one_wrong = {**right, OTHERS[0]: "a"}
    people = []
    for name, choices in (
        ("Gail Gains", {**right, MISKEYED: "c"}),
        ("Uma Up", {**one_wrong, MISKEYED: "c"}),
        ("Dan Down", {**one_wrong, MISKEYED: "b"}),
        ("Una Untouched", {**dict.fromkeys(OTHERS, "a"), MISKEYED: "a"}),
    ):
        candidate = await sign_up(client, name)
        people.append((candidate, await sit(candidate, sessionmaker, choices)))
    return Cohort(*people)


@pytest.fixture
async def author(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> Candidate:
    return await staff_member(client, sessionmaker, clock, Role.author, "Ann Author")


@pytest.fixture
async def admin(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> Candidate:
    return await staff_member(client, sessionmaker, clock, Role.admin, "Ada Admin")
