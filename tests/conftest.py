"""Test harness.

The schema is built by the Alembic migrations, once per run, on SQLite (default) or on
PostgreSQL when ``ASSAY_TEST_DATABASE_URL`` is set; an unreachable PostgreSQL fails the
run instead of skipping it. Every test starts from empty tables and a frozen clock.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.core.clock import ManualClock
from app.core.db import create_engine, create_sessionmaker, dispose_engine, session_scope
from app.core.migrate import upgrade_to_head
from app.core.seeds import SeededSeeds
from app.exams import service as exams_service
from app.exams.content import load_bank
from app.main import create_app
from app.models import metadata
from tests.bank import blueprint, standard_items, write_bank

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
# Seeds the forms attempts draw: the same forms on every run.
FORM_SEED = 20261206


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL run, only the tests that use the database: the rest (content
    validation, the sandbox, the browser tests with their own server) do not depend on
    it and ran already on the SQLite run, so CI pays for them once."""
    if not os.environ.get("ASSAY_TEST_DATABASE_URL"):
        return

    def uses_database(item: pytest.Item) -> bool:
        return bool({"engine", "database_url"} & set(getattr(item, "fixturenames", ())))

    keep = [i for i in items if uses_database(i)]
    dropped = [i for i in items if not uses_database(i)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _database_url(tmp_root: Path) -> str:
    return os.environ.get("ASSAY_TEST_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{tmp_root / 'assay-test.db'}"
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
                await conn.commit()
    except OSError as exc:
        pytest.exit(f"test database unreachable at {database_url}: {exc}", returncode=3)
    await upgrade_to_head(engine)
    yield engine
    await dispose_engine(engine)


@pytest.fixture
def apps() -> list[FastAPI]:
    """The apps a test built (the ``app`` fixture)."""
    return []


@pytest.fixture
async def sessionmaker(
    engine: AsyncEngine, apps: list[FastAPI]
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    yield create_sessionmaker(engine)
    # Nothing a test started outlives it: a job or a refresh still running holds locks
    # that emptying the tables would wait on (on PostgreSQL a deadlock with TRUNCATE).
    for app in apps:
        await app.state.jobs.drain()
        await app.state.analysis.settle()
    await clear_tables(engine)


async def clear_tables(engine: AsyncEngine) -> None:
    """Empties every table (the schema stays): what each test starts from."""
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (our table names)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        question_bank=tmp_path / "bank",
        scenarios=REPO / "scenarios",
        log_json=True,
        log_level="WARNING",
        # No attempt is sampled for review unless a test asks for it.
        review_sample_percent=0,
        # Jobs run in the test's own process, awaited with `app.state.jobs.drain()`; the
        # procrastinate engine has its own tests (tests/core/test_jobqueue.py, with real
        # `assay worker` processes in tests/core/test_workers.py).
        job_engine="inprocess",
    )


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    """The default test bank: a foundation exam and a professional one that needs it."""
    return write_bank(
        tmp_path / "bank",
        [
            blueprint("test-foundation"),
            blueprint(
                "test-professional",
                level="professional",
                pass_mark=0.72,
                validity_months=24,
                prerequisites=["test-foundation"],
            ),
        ],
        standard_items(),
    )


@pytest.fixture
async def published(
    bank_dir: Path, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> Path:
    bank = load_bank(bank_dir)
    assert not bank.problems, bank.problems
    async with session_scope(sessionmaker) as session:
        await exams_service.publish_bank(session, clock, bank)
    return bank_dir


@pytest.fixture
async def practical(
    tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    """A professional exam of two MCQ items and one scenario, published."""
    root = write_bank(
        tmp_path / "practical-bank",
        [
            blueprint(
                "test-practical",
                level="professional",
                pass_mark=0.72,
                validity_months=24,
                sections=[
                    {
                        "kind": "mcq",
                        "weight": 0.5,
                        "draw": [{"domain": "lifecycle", "level": "professional", "count": 2}],
                    },
                    {
                        "kind": "scenario",
                        "weight": 0.5,
                        "draw": [{"level": "professional", "count": 1}],
                    },
                ],
            )
        ],
        standard_items(),
    )
    async with session_scope(sessionmaker) as session:
        await exams_service.publish_bank(session, clock, load_bank(root))


@pytest.fixture
def app(
    settings: Settings,
    clock: ManualClock,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    apps: list[FastAPI],
) -> FastAPI:
    app = create_app(
        settings, clock, engine=engine, run_sweeper=False, seeds=SeededSeeds(FORM_SEED)
    )
    apps.append(app)
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://assay.test") as client:
        yield client


class Candidate:
    """A registered, signed-in user driving the API."""

    def __init__(self, client: httpx.AsyncClient, email: str, token: str, user_id: str) -> None:
        self.client = client
        self.email = email
        self.headers = {"Authorization": f"Bearer {token}"}
        self.id = user_id

    async def sign_in(self) -> None:
        r = await self.client.post(
            "/api/v1/auth/token", data={"username": self.email, "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        kw["headers"] = {**self.headers, **kw.get("headers", {})}
        return await self.client.get(url, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        kw["headers"] = {**self.headers, **kw.get("headers", {})}
        return await self.client.post(url, **kw)

    async def put(self, url: str, **kw: Any) -> httpx.Response:
        kw["headers"] = {**self.headers, **kw.get("headers", {})}
        return await self.client.put(url, **kw)

    async def patch(self, url: str, **kw: Any) -> httpx.Response:
        kw["headers"] = {**self.headers, **kw.get("headers", {})}
        return await self.client.patch(url, **kw)


async def sign_up(
    client: httpx.AsyncClient, name: str = "Ada Lovelace", email: str | None = None
) -> Candidate:
    email = email or f"{uuid.uuid4().hex[:10]}@example.org"
    r = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": name}
    )
    assert r.status_code == 201, r.text
    r2 = await client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert r2.status_code == 200, r2.text
    return Candidate(client, email, r2.json()["access_token"], r.json()["id"])


@pytest.fixture
async def candidate(client: httpx.AsyncClient) -> Candidate:
    return await sign_up(client)


@pytest.fixture
def anyio_backend() -> Iterator[str]:
    yield "asyncio"
