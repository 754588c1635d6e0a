"""SPO's own database: tables, repositories and Alembic migrations (branch ``spo``)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
