"""sittings: scheduled sittings, their rosters, and the sitting an attempt checked in to

An attempt checked in to a sitting keeps status in_progress with started_at at the
sitting's start (shown as checked_in until then): no new status value is stored.

Revision ID: 4b8e6f1a2c93
Revises: b4e2d8a61f37
Create Date: 2026-12-06 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "4b8e6f1a2c93"
down_revision: str | None = "b4e2d8a61f37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sittings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("exam_code", sa.String(length=64), nullable=False),
        sa.Column("starts_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("check_in_opens_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("check_in_closes_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("checked_in", sa.Integer(), nullable=False),
        sa.Column(
            "latecomers",
            sa.Enum(
                "full_duration", "sitting_end", name="latecomers", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("roster_only", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_sittings_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sittings")),
    )
    op.create_index(op.f("ix_sittings_exam_code"), "sittings", ["exam_code"], unique=False)
    op.create_table(
        "sitting_roster",
        sa.Column("sitting_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["sittings.id"],
            name=op.f("fk_sitting_roster_sitting_id_sittings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sitting_roster_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sitting_id", "user_id", name=op.f("pk_sitting_roster")),
    )
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sitting_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_attempts_sitting_id_sittings"),
            "sittings",
            ["sitting_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_attempts_sitting_id_sittings"), type_="foreignkey")
        batch_op.drop_column("sitting_id")
    op.drop_table("sitting_roster")
    op.drop_index(op.f("ix_sittings_exam_code"), table_name="sittings")
    op.drop_table("sittings")
