"""DSA's ROI ledger facts: SLI licence finding reports and DSA's renewal analyses.

Revision ID: dsa_0004_roi
Revises: dsa_0003_anomalies
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "dsa_0004_roi"
down_revision = "dsa_0003_anomalies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roi_licence_reports",
        sa.Column("violation_id", sa.String(128), primary_key=True),
        sa.Column("reported_at", UtcDateTime(), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("nature", sa.String(16), nullable=True),
        sa.Column("monthly_exposure", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("exposure_known", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
    )
    op.create_table(
        "roi_renewals",
        sa.Column("contract_id", sa.String(128), primary_key=True),
        sa.Column("renewal_date", sa.Date(), primary_key=True),
        sa.Column("analysed_at", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("vendor", sa.String(256), nullable=False),
        sa.Column("department", sa.String(128), nullable=True),
        sa.Column("recommendation", sa.String(16), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("forecast_next_term", ExactNumeric(18, 4), nullable=False),
        sa.Column("spend_12m", ExactNumeric(18, 4), nullable=False),
        sa.Column("annual_value", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("roi_renewals")
    op.drop_table("roi_licence_reports")
