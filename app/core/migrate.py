"""Running Alembic from the application: `assay serve` migrates to head on start, the
tests build their schema the same way, and /readyz asks whether the database is at head."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine


def migrations_dir() -> Path:
    """Where Alembic's scripts are: installed with the package as ``app.migrations``
    (setup.py maps the checkout's ``migrations/`` there; an editable install maps it to
    the checkout itself), else the checkout's own folder (a source tree on sys.path)."""
    try:
        package = importlib.import_module("app.migrations")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "migrations"
    assert package.__file__ is not None
    return Path(package.__file__).parent


MIGRATION_LOCK = 0x41535359  # "ASSY": the advisory lock key of a migration in progress


def ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name``: procrastinate's tables are its own schema file's, not
    the models' (see the revision that applies it); autogenerate leaves them alone."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if database_url:
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


async def upgrade_to_head(engine: AsyncEngine) -> None:
    def _upgrade(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Replicas starting together migrate one after the other: the later ones
            # find the database at head.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(_upgrade)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_current)
