"""regrades: key corrections to delivered items and the attempts they rescored

Revision ID: b7e2c9d4a613
Revises: 9b6e2f4a7c13
Create Date: 2026-12-06 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import JSONType, UTCDateTime

revision: str = "b7e2c9d4a613"
down_revision: str | None = "9b6e2f4a7c13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item_versions") as batch:
        batch.add_column(sa.Column("key_correction", JSONType, nullable=True))
    op.create_table(
        "regrades",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("key", JSONType, nullable=False),
        sa.Column("item_version_ids", JSONType, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "applying",
                "applied",
                name="regradestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("proposed_by", sa.Uuid(), nullable=True),
        sa.Column("proposed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.Uuid(), nullable=True),
        sa.Column("applied_by_label", sa.String(length=320), nullable=True),
        sa.Column("apply_reason", sa.Text(), nullable=True),
        sa.Column("drop_policy", sa.String(length=16), nullable=True),
        sa.Column("applied_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposed_by"],
            ["users.id"],
            name=op.f("fk_regrades_proposed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["applied_by"],
            ["users.id"],
            name=op.f("fk_regrades_applied_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regrades")),
    )
    op.create_index("ix_regrades_status", "regrades", ["status"], unique=False)
    op.create_index(op.f("ix_regrades_item_id"), "regrades", ["item_id"], unique=False)
    op.create_table(
        "regrade_results",
        sa.Column("regrade_id", sa.Uuid(), nullable=False),
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("exam_code", sa.String(length=64), nullable=False),
        sa.Column("old_score", sa.Float(), nullable=False),
        sa.Column("new_score", sa.Float(), nullable=False),
        sa.Column("passed_before", sa.Boolean(), nullable=False),
        sa.Column("passed_after", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("certificate_id", sa.String(length=32), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["regrade_id"],
            ["regrades.id"],
            name=op.f("fk_regrade_results_regrade_id_regrades"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_regrade_results_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("regrade_id", "attempt_id", name=op.f("pk_regrade_results")),
    )


def downgrade() -> None:
    op.drop_table("regrade_results")
    op.drop_index(op.f("ix_regrades_item_id"), table_name="regrades")
    op.drop_index("ix_regrades_status", table_name="regrades")
    op.drop_table("regrades")
    with op.batch_alter_table("item_versions") as batch:
        batch.drop_column("key_correction")
