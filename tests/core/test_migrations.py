"""The migrations are the only source of the schema: they must build exactly what the
models describe, on whichever database the suite runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.migrate import current_revision, head_revision, ours
from app.models import metadata

REPO = Path(__file__).resolve().parents[2]


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": ours}
        )
        return list(compare_metadata(context, metadata))

    async with engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_database_is_at_head(engine: AsyncEngine) -> None:
    assert await current_revision(engine) == head_revision()


INSTALLED_MIGRATE = """
import asyncio

from sqlalchemy.ext.asyncio import create_async_engine

import app
from app.core.migrate import current_revision, head_revision, migrations_dir, upgrade_to_head


async def main() -> None:
    engine = create_async_engine("sqlite+aiosqlite:///installed.db")
    await upgrade_to_head(engine)
    print(app.__file__, migrations_dir(), await current_revision(engine), head_revision())
    await engine.dispose()


asyncio.run(main())
"""


def test_an_installed_package_migrates_from_any_folder(tmp_path: Path) -> None:
    """What `pip install .` lays out in site-packages (setuptools' build_py, the step a
    wheel is built from) carries the migrations as ``app.migrations``: run from a folder
    that is not a checkout, with nothing of the checkout on the path, it migrates a
    database to the checkout's head."""
    build = tmp_path / "site-packages"
    subprocess.run(  # noqa: S603 - our interpreter, our setup.py
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    installed = build / "app" / "migrations"
    for name in ("env.py", "script.py.mako"):
        assert (installed / name).is_file(), name
    for folder, pattern in (("versions", "*.py"), ("sql", "*.sql")):
        assert {p.name for p in (installed / folder).glob(pattern)} == {
            p.name for p in (REPO / "migrations" / folder).glob(pattern)
        }

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(  # noqa: S603 - our interpreter
        [sys.executable, "-c", INSTALLED_MIGRATE],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(build)},
        check=True,
        capture_output=True,
        text=True,
    )
    package, found, current, head = result.stdout.split()
    assert Path(package).is_relative_to(build) and Path(found) == installed
    assert current == head == head_revision()
