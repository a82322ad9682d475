"""autosave receipts: responses.digest (each answer's own digest) and attempts.receipt
(the receipt of the answers as closed)

Revision ID: 7c4e2a9d1b30
Revises: 7c4f1a2e9b30
Create Date: 2026-12-06 05:00:00.000000
"""

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c4e2a9d1b30"
down_revision: str | None = "7c4f1a2e9b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _canonical(value: object) -> bytes:
    # As app/attempts/receipts.py at this revision (a migration does not import app code
    # that may change later).
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def upgrade() -> None:
    op.add_column("responses", sa.Column("digest", sa.String(length=64), nullable=True))
    op.add_column("attempts", sa.Column("receipt", sa.String(length=64), nullable=True))
    responses = sa.table(
        "responses",
        sa.column("attempt_id", sa.Uuid()),
        sa.column("ref", sa.String()),
        sa.column("choices", sa.JSON()),
        sa.column("files", sa.JSON()),
        sa.column("flagged", sa.Boolean()),
        sa.column("digest", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            responses.c.attempt_id,
            responses.c.ref,
            responses.c.choices,
            responses.c.files,
            responses.c.flagged,
        )
    ).all()
    for attempt_id, ref, choices, files, flagged in rows:
        digest = hashlib.sha256(
            _canonical({"ref": ref, "choices": choices, "files": files, "flagged": bool(flagged)})
        ).hexdigest()
        connection.execute(
            responses.update()
            .where(responses.c.attempt_id == attempt_id, responses.c.ref == ref)
            .values(digest=digest)
        )


def downgrade() -> None:
    op.drop_column("attempts", "receipt")
    op.drop_column("responses", "digest")
