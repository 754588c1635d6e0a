"""RAM's own database: tables, repositories and Alembic migrations (branch ``ram``)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
