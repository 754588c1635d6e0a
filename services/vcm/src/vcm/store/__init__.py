"""VCM's own database: tables, repositories and Alembic migrations (branch ``vcm``)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
