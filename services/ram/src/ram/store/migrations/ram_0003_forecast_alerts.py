"""RAM: forecast utilisation alerts already published (once per subject, period and band).

Revision ID: ram_0003
Revises: ram_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "ram_0003"
down_revision = "ram_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "utilisation_forecast_alerts",
        sa.Column("subject", sa.String(200), primary_key=True),
        sa.Column("granularity", sa.String(5), primary_key=True),
        sa.Column("period_start", sa.Date(), primary_key=True),
        sa.Column("band", sa.String(16), primary_key=True),
        sa.Column("utilisation_pct", ExactNumeric(8, 1), nullable=False),
        sa.Column("alerted_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("utilisation_forecast_alerts")
