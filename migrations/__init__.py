"""Alembic's migrations: the only source of the schema. Installed as ``app.migrations``
(setup.py), so an installed Assay finds them without a checkout."""
