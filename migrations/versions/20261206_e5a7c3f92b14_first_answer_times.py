"""first answer times: responses.first_answered_at (the first save that held an answer,
never moved by later saves), and the drift index in the windows' full scoring order

Responses stored before this revision kept their last save only: their first answer
time is taken to be that save (the best that is known).

Revision ID: e5a7c3f92b14
Revises: 4b8e6f1a2c93
Create Date: 2026-12-06 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "e5a7c3f92b14"
down_revision: str | None = "4b8e6f1a2c93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "responses", sa.Column("first_answered_at", UTCDateTime(timezone=True), nullable=True)
    )
    # JSON null and SQL NULL both mean "no answer"; an empty list of choices too.
    op.execute(
        "UPDATE responses SET first_answered_at = saved_at "
        "WHERE (choices IS NOT NULL AND CAST(choices AS TEXT) NOT IN ('null', '[]')) "
        "OR (files IS NOT NULL AND CAST(files AS TEXT) NOT IN ('null', '{}'))"
    )
    # The drift windows number each item's responses by (scoring time, attempt id): with
    # the attempt id in the index, and the columns they read carried by it, PostgreSQL
    # reads them in that order from the index alone, no sort.
    op.drop_index("ix_item_outcomes_item_scored", table_name="item_outcomes")
    op.create_index(
        "ix_item_outcomes_item_scored",
        "item_outcomes",
        ["item_version_id", "repeat_taker", "scored_at", "attempt_id"],
        unique=False,
        postgresql_include=["correct", "answer_seconds"],
    )


def downgrade() -> None:
    op.drop_index("ix_item_outcomes_item_scored", table_name="item_outcomes")
    op.create_index(
        "ix_item_outcomes_item_scored",
        "item_outcomes",
        ["item_version_id", "repeat_taker", "scored_at"],
        unique=False,
    )
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("first_answered_at")
