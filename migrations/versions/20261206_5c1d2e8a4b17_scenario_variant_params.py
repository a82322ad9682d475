"""scenario variant parameters on attempt items and runs

Revision ID: 5c1d2e8a4b17
Revises: b41c7e2d9f03
Create Date: 2026-12-06 04:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5c1d2e8a4b17"
down_revision: str | None = "b41c7e2d9f03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("attempt_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scenario_params", _json(), nullable=True))
    with op.batch_alter_table("scenario_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", _json(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scenario_runs", schema=None) as batch_op:
        batch_op.drop_column("params")
    with op.batch_alter_table("attempt_items", schema=None) as batch_op:
        batch_op.drop_column("scenario_params")
