"""item_exposure (per-item counters form assembly balances on) and exposure_pending
(attempts not yet counted, folded by the background pass); the counters start from the
history already stored

Revision ID: 7c4f1a2e9b30
Revises: 5c1f0a9e7d21
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c4f1a2e9b30"
down_revision: str | None = "5c1f0a9e7d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Once, here: what the start used to aggregate on every call.
_SEED = """
INSERT INTO item_exposure (item_id, shown)
SELECT item_versions.item_id, count(*)
FROM attempt_items JOIN item_versions ON item_versions.id = attempt_items.item_version_id
GROUP BY item_versions.item_id
"""


def upgrade() -> None:
    op.create_table(
        "item_exposure",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("shown", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_exposure")),
    )
    op.create_table(
        "exposure_pending",
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_exposure_pending_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_exposure_pending")),
    )
    op.execute(_SEED)


def downgrade() -> None:
    op.drop_table("exposure_pending")
    op.drop_table("item_exposure")
