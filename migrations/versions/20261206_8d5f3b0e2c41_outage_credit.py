"""outage credit: service_heartbeats, service_failures (500/503 per minute and process),
service_gaps and deadline_credits

Revision ID: 8d5f3b0e2c41
Revises: 7c4e2a9d1b30
Create Date: 2026-12-06 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "8d5f3b0e2c41"
down_revision: str | None = "7c4e2a9d1b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_heartbeats",
        sa.Column("process_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process_id", name=op.f("pk_service_heartbeats")),
    )
    op.create_index(op.f("ix_service_heartbeats_last_seen"), "service_heartbeats", ["last_seen"])
    op.create_table(
        "service_failures",
        sa.Column("window", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("window", "process_id", name=op.f("pk_service_failures")),
    )
    op.create_table(
        "service_gaps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("starts_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("detected_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("credited_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_gaps")),
        sa.UniqueConstraint("key", name=op.f("uq_service_gaps_key")),
    )
    op.create_index(op.f("ix_service_gaps_credited_at"), "service_gaps", ["credited_at"])
    op.create_table(
        "deadline_credits",
        sa.Column("gap_id", sa.Uuid(), nullable=False),
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("credited_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_deadline_credits_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gap_id"],
            ["service_gaps.id"],
            name=op.f("fk_deadline_credits_gap_id_service_gaps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gap_id", "attempt_id", name=op.f("pk_deadline_credits")),
    )
    op.create_index(op.f("ix_deadline_credits_attempt_id"), "deadline_credits", ["attempt_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_deadline_credits_attempt_id"), table_name="deadline_credits")
    op.drop_table("deadline_credits")
    op.drop_index(op.f("ix_service_gaps_credited_at"), table_name="service_gaps")
    op.drop_table("service_gaps")
    op.drop_table("service_failures")
    op.drop_index(op.f("ix_service_heartbeats_last_seen"), table_name="service_heartbeats")
    op.drop_table("service_heartbeats")
