"""admission_start_time (how long starts take, for every API process's wait estimate)
and admission_line.took_seconds (a start over, waiting to be counted)

The leave marks its own place (``took_seconds``) rather than deleting it; the next ask,
whichever process sends it, folds the places so marked into the moving average (one row,
written only under the ask's advisory lock) and deletes them. ``assay_admission_enter``
answers the average with a waiting position. See app/attempts/shared_admission.py.

Revision ID: c2a7e4f19d58
Revises: af3f383d3b65
Create Date: 2026-12-06 13:30:00.000000
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "c2a7e4f19d58"
down_revision: str | None = "af3f383d3b65"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SIGNATURE = "assay_admission_enter(uuid, timestamptz, integer, float8, float8, integer)"

# As af3f383d3b65's, with the starts that ended since the last ask folded in first (their
# places deleted, the average moved: weight 0.1 a start as the in-memory StartTimes, the
# first ever taken as it is), and the average answered with a waiting position (null:
# no start has ended yet).
_ENTER = """
CREATE FUNCTION assay_admission_enter(
    p_key uuid, p_now timestamptz, p_capacity integer, p_ticket float8, p_lease float8,
    p_exact integer
) RETURNS TABLE (slot bigint, arrived timestamptz, waiting_position bigint, start_seconds float8)
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
    v_arrived timestamptz;
    v_in_flight bigint;
    v_position bigint;
    v_last bigint;
    v_ended bigint;
    v_took float8;
BEGIN
    PERFORM pg_advisory_xact_lock(7022083106486183021);  -- "assayadm" in ASCII
    WITH ended AS (
        DELETE FROM admission_line AS l WHERE l.took_seconds IS NOT NULL
        RETURNING l.took_seconds
    ) SELECT count(*), avg(ended.took_seconds) INTO v_ended, v_took FROM ended;
    IF v_ended > 0 THEN
        INSERT INTO admission_start_time AS t (id, seconds, starts)
        VALUES (1, v_took, v_ended)
        ON CONFLICT (id) DO UPDATE
        SET seconds = t.seconds * power(0.9, v_ended) + (1 - power(0.9, v_ended)) * v_took,
            starts = t.starts + v_ended;
    END IF;
    DELETE FROM admission_line WHERE lease_until < p_now;
    UPDATE admission_line AS l SET lease_until = p_now + make_interval(secs => p_ticket)
     WHERE l.key = p_key AND l.admitted_at IS NULL
    RETURNING l.seq, l.arrived_at INTO v_seq, v_arrived;
    IF NOT FOUND THEN
        INSERT INTO admission_line AS a (key, arrived_at, lease_until)
        VALUES (p_key, p_now, p_now + make_interval(secs => p_ticket))
        RETURNING a.seq, a.arrived_at INTO v_seq, v_arrived;
    END IF;
    SELECT count(*) INTO v_in_flight FROM admission_line AS l WHERE l.admitted_at IS NOT NULL;
    SELECT count(*), max(w.seq) INTO v_position, v_last FROM (
        SELECT l.seq FROM admission_line AS l
         WHERE l.admitted_at IS NULL AND l.seq <= v_seq ORDER BY l.seq LIMIT p_exact
    ) AS w;
    IF v_last < v_seq THEN
        v_position := v_position + (v_seq - v_last);
    END IF;
    IF v_position <= p_capacity - v_in_flight THEN
        UPDATE admission_line AS l
           SET admitted_at = p_now, lease_until = p_now + make_interval(secs => p_lease)
         WHERE l.seq = v_seq;
        RETURN QUERY SELECT v_seq, v_arrived, 0::bigint, NULL::float8;
    ELSE
        RETURN QUERY SELECT NULL::bigint, v_arrived, v_position,
            (SELECT t.seconds FROM admission_start_time AS t WHERE t.id = 1);
    END IF;
END
$$
"""


def _previous_enter() -> str:
    """af3f383d3b65's function, for the downgrade."""
    path = Path(__file__).with_name("20261206_af3f383d3b65_admission_line_and_sitting_changes.py")
    spec = importlib.util.spec_from_file_location("assay_migration_af3f383d3b65", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    previous: str = module._ENTER
    return previous


def upgrade() -> None:
    op.create_table(
        "admission_start_time",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("starts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admission_start_time")),
    )
    with op.batch_alter_table("admission_line") as batch_op:
        batch_op.add_column(sa.Column("took_seconds", sa.Float(), nullable=True))
    op.create_index(
        "ix_admission_line_ended",
        "admission_line",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("took_seconds IS NOT NULL"),
        sqlite_where=sa.text("took_seconds IS NOT NULL"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Rewritten by asks: no WAL for it (a crash of the database empties it; the
        # estimate falls back to its default until a start ends again).
        op.execute("ALTER TABLE admission_start_time SET UNLOGGED")
        op.execute(f"DROP FUNCTION {_SIGNATURE}")
        op.execute(_ENTER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {_SIGNATURE}")
        op.execute(_previous_enter())
        op.execute("DELETE FROM admission_line WHERE took_seconds IS NOT NULL")
    op.drop_index("ix_admission_line_ended", table_name="admission_line")
    with op.batch_alter_table("admission_line") as batch_op:
        batch_op.drop_column("took_seconds")
    op.drop_table("admission_start_time")
