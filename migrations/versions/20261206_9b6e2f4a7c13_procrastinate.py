"""procrastinate's tables, functions and triggers (the job engine on PostgreSQL)

Its own schema file, kept beside the migrations (migrations/sql), applied as it is:
`alembic upgrade head` (or `assay serve`) is all an operator runs. SQLite has no job
tables: its engine is the in-process runner.

Revision ID: 9b6e2f4a7c13
Revises: 7c3e9a1d5b20
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import op

revision: str = "9b6e2f4a7c13"
down_revision: str | None = "7c3e9a1d5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).resolve().parents[1] / "sql" / "procrastinate-3.10.0.sql"

_DROP = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
    procrastinate_jobs, procrastinate_workers CASCADE;
DO $$
DECLARE f record;
BEGIN
    FOR f IN SELECT oid::regprocedure AS signature FROM pg_proc
              WHERE proname LIKE 'procrastinate\\_%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || f.signature || ' CASCADE';
    END LOOP;
END
$$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status;
"""


def _run_script(sql: str) -> None:
    """A script of many statements (functions with $$ bodies): sent as it is, through
    the driver's simple query protocol, not as one prepared statement."""
    bind = op.get_bind()
    driver: Any = bind.connection.dbapi_connection
    driver.run_async(lambda connection: connection.execute(sql))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(SCHEMA.read_text(encoding="utf-8"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(_DROP)
