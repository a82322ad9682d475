"""The one thing pyproject.toml cannot say: the Alembic migrations, kept at the top of the
checkout (``migrations/``, where the alembic CLI and authors find them), are installed
inside the package as ``app.migrations``, so an installed Assay (a wheel, the Docker
image) migrates its database without a checkout. Everything else, the package data
(the migrations' script template and SQL files) too, is in pyproject.toml."""

from setuptools import find_packages, setup

MIGRATIONS = {
    "app.migrations": "migrations",
    "app.migrations.versions": "migrations/versions",
}

setup(
    packages=[*find_packages(include=["app", "app.*"]), *MIGRATIONS],
    package_dir=MIGRATIONS,
)
