"""check regrades: a regrade may correct a scenario's hidden check; check_corrections

Revision ID: d3a9c5e1f702
Revises: e5a7c3f92b14
Create Date: 2026-12-06 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "d3a9c5e1f702"
down_revision: str | None = "e5a7c3f92b14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("regrades") as batch:
        batch.alter_column("item_id", existing_type=sa.String(length=32), nullable=True)
        batch.add_column(sa.Column("scenario_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("check_name", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("scenario_version", sa.Integer(), nullable=True))
    op.create_table(
        "check_corrections",
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("check_name", sa.String(length=128), nullable=False),
        sa.Column("up_to_version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scenario_id", "check_name", name=op.f("pk_check_corrections")),
    )


def downgrade() -> None:
    op.drop_table("check_corrections")
    op.execute("DELETE FROM regrades WHERE item_id IS NULL")
    with op.batch_alter_table("regrades") as batch:
        batch.drop_column("scenario_version")
        batch.drop_column("check_name")
        batch.drop_column("scenario_id")
        batch.alter_column("item_id", existing_type=sa.String(length=32), nullable=False)
