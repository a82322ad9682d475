"""item_outcomes: when, by whom (first-time or repeat) and how fast; check_outcomes

Revision ID: b4e2d8a61f37
Revises: b7e2c9d4a613
Create Date: 2026-12-06 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b4e2d8a61f37"
down_revision: str | None = "b7e2c9d4a613"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item_outcomes") as batch:
        batch.add_column(sa.Column("scored_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("repeat_taker", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("answer_seconds", sa.Float(), nullable=True))
    # Outcomes recorded before these columns: their attempt's scoring time, and whether
    # the candidate had started the same exam before.
    op.execute(
        "UPDATE item_outcomes SET scored_at = "
        "(SELECT a.scored_at FROM attempts a WHERE a.id = item_outcomes.attempt_id), "
        "repeat_taker = CASE WHEN EXISTS (SELECT 1 FROM attempts a JOIN attempts e "
        "ON e.user_id = a.user_id AND e.exam_code = a.exam_code "
        "AND e.started_at < a.started_at WHERE a.id = item_outcomes.attempt_id) "
        "THEN 1 ELSE 0 END"
    )
    op.create_index(
        "ix_item_outcomes_item_scored",
        "item_outcomes",
        ["item_version_id", "repeat_taker", "scored_at"],
        unique=False,
    )
    op.create_table(
        "check_outcomes",
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=16), nullable=False),
        sa.Column("check_name", sa.String(length=128), nullable=False),
        sa.Column("exam_version_id", sa.Uuid(), nullable=False),
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("scenario_version", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_check_outcomes_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["exam_version_id"],
            ["exam_versions.id"],
            name=op.f("fk_check_outcomes_exam_version_id_exam_versions"),
        ),
        sa.PrimaryKeyConstraint("attempt_id", "ref", "check_name", name=op.f("pk_check_outcomes")),
    )
    op.create_index(
        "ix_check_outcomes_scenario",
        "check_outcomes",
        ["scenario_id", "scenario_version"],
        unique=False,
    )
    op.create_index(
        "ix_check_outcomes_exam_version", "check_outcomes", ["exam_version_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_check_outcomes_exam_version", table_name="check_outcomes")
    op.drop_index("ix_check_outcomes_scenario", table_name="check_outcomes")
    op.drop_table("check_outcomes")
    op.drop_index("ix_item_outcomes_item_scored", table_name="item_outcomes")
    with op.batch_alter_table("item_outcomes") as batch:
        batch.drop_column("answer_seconds")
        batch.drop_column("repeat_taker")
        batch.drop_column("scored_at")
