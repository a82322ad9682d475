"""admission_line (the line for starts shared by every process; UNLOGGED on PostgreSQL),
sittings moved or cancelled (cancelled_at, moved_from, notice), and outbox messages
that belong to no certificate (a sitting's news)

An attempt of a cancelled sitting is stored with status ``cancelled``: the status column
is a plain string (no CHECK), so the new value needs no change here.

Revision ID: af3f383d3b65
Revises: d3a9c5e1f702
Create Date: 2026-12-06 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "af3f383d3b65"
down_revision: str | None = "d3a9c5e1f702"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# One ask of the admission line, in one round trip (app/attempts/shared_admission.py):
# under a transaction advisory lock (the line changes one ask at a time, held only while
# this runs), expired places go, the candidate's place is renewed or taken, and if a slot
# is free for it the place becomes a slot. Its position is counted exactly among the
# first p_exact waiting (p_exact > capacity: admission is always judged exactly); further
# back it is estimated from the order numbers between (an upper bound: a waiter further
# ahead who went away counts until the line gets there), so an ask costs the same however
# long the line. Returns (slot, arrived, position): slot null = waiting.
_ENTER = """
CREATE FUNCTION assay_admission_enter(
    p_key uuid, p_now timestamptz, p_capacity integer, p_ticket float8, p_lease float8,
    p_exact integer
) RETURNS TABLE (slot bigint, arrived timestamptz, waiting_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
    v_arrived timestamptz;
    v_in_flight bigint;
    v_position bigint;
    v_last bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7022083106486183021);  -- "assayadm" in ASCII
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
        RETURN QUERY SELECT v_seq, v_arrived, 0::bigint;
    ELSE
        RETURN QUERY SELECT NULL::bigint, v_arrived, v_position;
    END IF;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "admission_line",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("arrived_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=False),
        sa.Column("admitted_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_admission_line")),
    )
    op.create_index(
        op.f("ix_admission_line_lease_until"), "admission_line", ["lease_until"], unique=False
    )
    op.create_index(
        "ix_admission_line_in_flight",
        "admission_line",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("admitted_at IS NOT NULL"),
        sqlite_where=sa.text("admitted_at IS NOT NULL"),
    )
    op.create_index(
        "uq_admission_line_waiting_key",
        "admission_line",
        ["key"],
        unique=True,
        postgresql_where=sa.text("admitted_at IS NULL"),
        sqlite_where=sa.text("admitted_at IS NULL"),
    )
    with op.batch_alter_table("sittings") as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("moved_from", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("notice", sa.String(length=500), nullable=True))
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.alter_column("certificate_id", existing_type=sa.Uuid(), nullable=True)
    if op.get_bind().dialect.name == "postgresql":
        # A place is rewritten at every ask: no WAL for it. A crash of the database
        # empties the line (everyone asks again from the back, once).
        op.execute("ALTER TABLE admission_line SET UNLOGGED")
        # Its size swings from nothing to thousands of places within a minute: analysed
        # (and vacuumed) by the count of changes, not a share of a table that was empty,
        # so the planner keeps to its indexes (measured: 2 ms an ask on stale statistics
        # with 10,000 waiting, 0.5 ms once analysed).
        op.execute(
            "ALTER TABLE admission_line SET (autovacuum_analyze_scale_factor = 0,"
            " autovacuum_analyze_threshold = 500, autovacuum_vacuum_scale_factor = 0,"
            " autovacuum_vacuum_threshold = 2000)"
        )
        op.execute(_ENTER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION assay_admission_enter(uuid, timestamptz, integer, float8, float8, integer)"
        )
    op.execute("DELETE FROM outbox_messages WHERE certificate_id IS NULL")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.alter_column("certificate_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("sittings") as batch_op:
        batch_op.drop_column("notice")
        batch_op.drop_column("moved_from")
        batch_op.drop_column("cancelled_at")
    op.drop_index("uq_admission_line_waiting_key", table_name="admission_line")
    op.drop_index("ix_admission_line_in_flight", table_name="admission_line")
    op.drop_index(op.f("ix_admission_line_lease_until"), table_name="admission_line")
    op.drop_table("admission_line")
