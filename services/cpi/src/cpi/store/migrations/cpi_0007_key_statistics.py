"""Extended statistics on the time entries' ledger key, so the planner knows how many ledger keys
the time entries make.

Without them PostgreSQL multiplies the distinct counts of ``client_id``, ``agreement_id`` and
``month`` as if independent (504,000 groups estimated for 48,000 real at 1,000 clients x 24
months) and sums a full recompute's time entries by sorting 5M rows instead of hashing them
(docs/benchmarks.md: the full recompute's time-entry pass, 42 s → 24 s on a loaded machine).
Only ``ndistinct`` (what GROUP BY and DISTINCT estimates use): the per-key statements' plans
are tuned already and should not move. PostgreSQL only (SQLite has no such statistics); ANALYZE
builds them now, autovacuum keeps them.

Revision ID: cpi_0007_key_statistics
Revises: cpi_0006_published_judgement
Create Date: 2026-12-03
"""

from alembic import op

revision = "cpi_0007_key_statistics"
down_revision = "cpi_0006_published_judgement"
branch_labels = None
depends_on = None

STATISTICS = "time_entries_ledger_key"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} (ndistinct) "
        "ON client_id, agreement_id, month FROM time_entries"
    )
    op.execute("ANALYZE time_entries")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
