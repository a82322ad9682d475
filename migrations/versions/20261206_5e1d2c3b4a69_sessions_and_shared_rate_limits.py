"""sessions (revocable sign-ins, announced on ``assay_session_changes``) and
rate_limits (token buckets shared by every process; UNLOGGED on PostgreSQL)

Revision ID: 5e1d2c3b4a69
Revises: b41c7e2d9f03
Create Date: 2026-12-06 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "5e1d2c3b4a69"
down_revision: str | None = "b41c7e2d9f03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel name is also in app/identity/sessions.py (CHANGES_CHANNEL).
_FUNCTION = """
CREATE FUNCTION assay_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('assay_session_changes', OLD.id::text);
    RETURN NULL;
END
$$
"""
_TRIGGER = """
CREATE TRIGGER sessions_changed
AFTER UPDATE OR DELETE ON sessions
FOR EACH ROW EXECUTE FUNCTION assay_session_changed()
"""


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"], unique=False)
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("full_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "key", name=op.f("pk_rate_limits")),
    )
    op.create_index(op.f("ix_rate_limits_full_at"), "rate_limits", ["full_at"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        # SQLite keeps sessions (checked per request) but neither announces changes
        # (one process) nor uses rate_limits (buckets in memory).
        return
    # A token bucket's row is rewritten at every check: no WAL for it. A crash of the
    # database empties the table (every client gets a full budget once).
    op.execute("ALTER TABLE rate_limits SET UNLOGGED")
    op.execute(_FUNCTION)
    op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER sessions_changed ON sessions")
        op.execute("DROP FUNCTION assay_session_changed()")
    op.drop_index(op.f("ix_rate_limits_full_at"), table_name="rate_limits")
    op.drop_table("rate_limits")
    op.drop_index(op.f("ix_sessions_user_id"), table_name="sessions")
    op.drop_table("sessions")
