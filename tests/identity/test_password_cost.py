"""The argon2 cost is a setting: new hashes take it, older hashes still verify with their
own parameters and move to the setting at the next sign-in."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.core.security import configure_passwords, hash_password, verify_password
from app.identity.models import User
from tests.conftest import PASSWORD, sign_up

LIGHT = {"time_cost": 1, "memory_kib": 8192, "parallelism": 1}


@pytest.fixture
def restore_cost() -> Iterator[None]:
    yield
    configure_passwords(**Settings(env="test").password_cost())


def test_new_hashes_take_the_setting_and_old_ones_still_verify(restore_cost: None) -> None:
    before = hash_password("correct horse battery")
    assert "$m=65536,t=3,p=4$" in before  # the defaults
    configure_passwords(**LIGHT)
    after = hash_password("correct horse battery")
    assert "$m=8192,t=1,p=1$" in after
    assert verify_password("correct horse battery", before)
    assert verify_password("correct horse battery", after)
    assert not verify_password("wrong horse battery", before)


async def test_sign_in_moves_a_password_to_the_configured_cost(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    restore_cost: None,
) -> None:
    candidate = await sign_up(client)
    configure_passwords(**LIGHT)
    r = await client.post(
        "/api/v1/auth/token", data={"username": candidate.email, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    async with sessionmaker() as session:
        stored = await session.scalar(
            select(User.password_hash).where(User.email == candidate.email)
        )
    assert stored is not None and "$m=8192,t=1,p=1$" in stored
    assert verify_password(PASSWORD, stored)
