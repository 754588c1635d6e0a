"""CPI's own database: tables, repositories and Alembic migrations (branch ``cpi``)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
