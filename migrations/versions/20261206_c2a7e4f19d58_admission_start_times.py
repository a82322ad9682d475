"""admission_start_times: how long the latest starts took, for every API process's wait
estimate (UNLOGGED on PostgreSQL)

A ring of buckets (``bucket`` = the start's place number modulo the ring's size, see
app/attempts/shared_admission.py), each holding the duration of the latest start that
fell on it: the leave statement writes one, an ask that must wait averages them.

Revision ID: c2a7e4f19d58
Revises: af3f383d3b65
Create Date: 2026-12-06 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c2a7e4f19d58"
down_revision: str | None = "af3f383d3b65"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admission_start_times",
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_admission_start_times")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Rewritten at every start's end: no WAL for it (a crash of the database empties
        # it; the estimate falls back to its default until starts end again).
        op.execute("ALTER TABLE admission_start_times SET UNLOGGED")


def downgrade() -> None:
    op.drop_table("admission_start_times")
