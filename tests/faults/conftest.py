"""Fixtures of the fault tests: PostgreSQL only (the SQLite setup is one process, and
these faults are about processes and a database server), a fresh database per test
copied from a template migrated once, and servers killed at the end of each test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app.core.clock import SystemClock
from app.core.db import create_engine, create_sessionmaker, dispose_engine, session_scope
from app.core.migrate import upgrade_to_head
from app.core.security import hash_password
from app.exams import service as exams_service
from app.exams.content import load_bank
from app.identity.models import Role, User
from tests.bank import blueprint, standard_items, write_bank
from tests.faults.harness import CANDIDATES, PASSWORD, Launcher, candidate_email, driver_url
from tests.pipeline_scenario import write_order_summary


@dataclass(frozen=True)
class Template:
    name: str
    bank: Path
    scenarios: Path


def fault_bank(root: Path) -> Path:
    """Three multiple-choice exams anyone may take (a candidate can hold an attempt at
    each at once) and a practical one whose scenario grades in a second."""
    return write_bank(
        root,
        [
            blueprint("fault-one"),
            blueprint("fault-two"),
            blueprint("fault-three"),
            blueprint(
                "fault-practical",
                level="professional",
                sections=[
                    {
                        "kind": "mcq",
                        "weight": 0.5,
                        "draw": [{"domain": "lifecycle", "level": "professional", "count": 1}],
                    },
                    {
                        "kind": "scenario",
                        "weight": 0.5,
                        "draw": [{"level": "professional", "count": 1}],
                    },
                ],
            ),
        ],
        standard_items(),
    )


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(driver_url(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("fault tests run real servers against PostgreSQL; SQLite is one process")
    return database_url


@pytest.fixture(scope="session")
async def template(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Template]:
    """A database migrated to head, with the fault bank published and candidates
    registered (one password hash for all: argon2 costs a second a user on a busy
    machine), copied for each test (CREATE DATABASE ... TEMPLATE: a file copy, much
    faster than migrating)."""
    root = tmp_path_factory.mktemp("faults")
    bank = fault_bank(root / "bank")
    scenarios = write_order_summary(root / "scenarios")
    base = make_url(postgres_url).database
    name = f"{base}_fault_tmpl_{uuid.uuid4().hex[:8]}"
    await _admin(postgres_url, f'CREATE DATABASE "{name}"')
    try:
        engine = create_engine(_with_database(postgres_url, name))
        try:
            await upgrade_to_head(engine)
            async with session_scope(create_sessionmaker(engine)) as session:
                await exams_service.publish_bank(session, SystemClock(), load_bank(bank))
                password_hash = hash_password(PASSWORD)
                session.add_all(
                    User(
                        email=candidate_email(n),
                        full_name=f"Candidate {n}",
                        password_hash=password_hash,
                        role=Role.candidate,
                        created_at=SystemClock().now(),
                    )
                    for n in range(CANDIDATES)
                )
        finally:
            await dispose_engine(engine)
        yield Template(name, bank, scenarios)
    finally:
        await _admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def fresh_url(postgres_url: str, template: Template) -> AsyncIterator[str]:
    """A database of this test's own (dropped at its end, with whatever still uses it)."""
    base = make_url(postgres_url).database
    name = f"{base}_fault_{uuid.uuid4().hex[:8]}"
    await _admin(postgres_url, f'CREATE DATABASE "{name}" TEMPLATE "{template.name}"')
    try:
        yield _with_database(postgres_url, name)
    finally:
        await _admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(fresh_url: str) -> AsyncIterator[asyncpg.Connection]:
    """The test's own look at its database, from outside the service."""
    conn = await asyncpg.connect(driver_url(fresh_url))
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def launcher(template: Template, fresh_url: str, tmp_path: Path) -> AsyncIterator[Launcher]:
    env = {
        **os.environ,
        "ASSAY_ENV": "test",
        "ASSAY_QUESTION_BANK": str(template.bank),
        "ASSAY_SCENARIOS": str(template.scenarios),
        "ASSAY_SECRET_KEY": "fault-secret-key-that-is-long-enough-0123456789",
        "ASSAY_SIGNING_KEYS_FILE": str(tmp_path / "signing-keys.json"),
        "ASSAY_LOG_LEVEL": "WARNING",
        "ASSAY_LOG_JSON": "true",
        "ASSAY_REVIEW_SAMPLE_PERCENT": "0",
        "ASSAY_SWEEP_INTERVAL_SECONDS": "0.25",
        # Each server runs its own jobs and periodic passes (the embedded engine): these
        # tests are about what an API process leaves behind when it dies. Workers killed
        # mid-job, and periodic work once across workers, are tests/core/test_workers.py.
        "ASSAY_JOB_ENGINE": "inprocess",
    }
    launcher = Launcher(tmp_path, env)
    try:
        yield launcher
    finally:
        await launcher.close()
