"""DSA's own database: tables, repositories and Alembic migrations (branch ``dsa``)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
