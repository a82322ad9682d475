"""certificates: every change or deletion is announced on the channel
``assay_certificate_changes`` (PostgreSQL), so that every process's verification cache
forgets the certificate at once, whoever changed it

Revision ID: b41c7e2d9f03
Revises: 9a7bb730c8a5
Create Date: 2026-11-24 22:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b41c7e2d9f03"
down_revision: str | None = "9a7bb730c8a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel name is also in app/certificates/lookup.py (CHANGES_CHANNEL).
_FUNCTION = """
CREATE FUNCTION assay_certificate_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('assay_certificate_changes', OLD.public_id);
    ELSE
        PERFORM pg_notify('assay_certificate_changes', NEW.public_id);
    END IF;
    RETURN NULL;
END
$$
"""
_TRIGGER = """
CREATE TRIGGER certificates_changed
AFTER UPDATE OR DELETE ON certificates
FOR EACH ROW EXECUTE FUNCTION assay_certificate_changed()
"""


def upgrade() -> None:
    # NOTIFY is delivered at commit, and not at all on rollback. SQLite has no such
    # channel; there a process's cache keeps a record for ASSAY_VERIFY_CACHE_SECONDS.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER certificates_changed ON certificates")
    op.execute("DROP FUNCTION assay_certificate_changed()")
