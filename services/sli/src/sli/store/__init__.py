"""SLI's own database: tables, repositories and Alembic migrations (branch ``sli``)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
