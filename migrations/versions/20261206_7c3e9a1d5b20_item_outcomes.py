"""item_outcomes: each scored attempt's answer to each choice item, for item analysis

Revision ID: 7c3e9a1d5b20
Revises: 8d5f3b0e2c41
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3e9a1d5b20"
down_revision: str | None = "8d5f3b0e2c41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_outcomes",
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=16), nullable=False),
        sa.Column("exam_version_id", sa.Uuid(), nullable=False),
        sa.Column("item_version_id", sa.Uuid(), nullable=False),
        sa.Column("answer", sa.String(length=64), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_item_outcomes_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["exam_version_id"],
            ["exam_versions.id"],
            name=op.f("fk_item_outcomes_exam_version_id_exam_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["item_version_id"],
            ["item_versions.id"],
            name=op.f("fk_item_outcomes_item_version_id_item_versions"),
        ),
        sa.PrimaryKeyConstraint("attempt_id", "ref", name=op.f("pk_item_outcomes")),
    )
    op.create_index(
        "ix_item_outcomes_item_version", "item_outcomes", ["item_version_id"], unique=False
    )
    op.create_index(
        "ix_item_outcomes_exam_version", "item_outcomes", ["exam_version_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_item_outcomes_exam_version", table_name="item_outcomes")
    op.drop_index("ix_item_outcomes_item_version", table_name="item_outcomes")
    op.drop_table("item_outcomes")
