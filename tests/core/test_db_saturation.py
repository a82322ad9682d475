"""A saturated pool is an overload the caller may retry (503 database_unavailable), not a
bug (500); a unit of work that only read can let its connection go before a slow step."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import database_unreachable, end_read
from app.identity.models import Role, User


def test_a_pool_timeout_is_the_database_being_unavailable() -> None:
    assert database_unreachable(PoolTimeout("QueuePool limit of size 4 overflow 10 reached"))
    assert not database_unreachable(ValueError("a bug"))


async def test_end_read_lets_the_connection_go_and_refuses_pending_changes(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await session.get(User, uuid.uuid4())
        assert session.in_transaction()
        await end_read(session)
        assert not session.in_transaction()

        session.add(
            User(
                id=uuid.uuid4(),
                email="pending@example.org",
                full_name="Pending Person",
                password_hash="x",
                role=Role.candidate,
                created_at=datetime(2026, 1, 1),
            )
        )
        with pytest.raises(RuntimeError, match="changes pending"):
            await end_read(session)
        await session.rollback()


async def test_a_saturated_pool_answers_503_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def saturated() -> None:
        raise PoolTimeout("QueuePool limit of size 4 overflow 10 reached, connection timed out")

    app.add_api_route("/api/v1/test-saturated-pool", saturated)
    r = await client.get("/api/v1/test-saturated-pool")
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "database_unavailable"
    assert r.headers["Retry-After"] == "1"
