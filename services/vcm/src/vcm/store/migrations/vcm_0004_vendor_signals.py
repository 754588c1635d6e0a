"""VCM vendor scorecard signals: DSA's anomalies and renewal spend, SLI's licence findings and the
subscriptions that tell which vendor a SKU belongs to.

Revision ID: vcm_0004
Revises: vcm_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "vcm_0004"
down_revision = "vcm_0003"
branch_labels = None
depends_on = None


def _reported() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("reported_at", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "vendor_anomalies",
        sa.Column("anomaly_id", sa.String(128), primary_key=True),
        sa.Column("vendor", sa.String(255), nullable=False, index=True),
        sa.Column("vendor_key", sa.String(255), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("impact", ExactNumeric(18, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        *_reported(),
    )
    op.create_table(
        "licence_subscriptions",
        sa.Column("subscription_id", sa.String(128), primary_key=True),
        sa.Column("sku_id", sa.String(128), nullable=False, index=True),
        sa.Column("vendor", sa.String(255), nullable=False),
        *_reported(),
    )
    op.create_table(
        "licence_findings",
        sa.Column("violation_id", sa.String(128), primary_key=True),
        sa.Column("subscription_id", sa.String(128), nullable=True),
        sa.Column("sku_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("seats_affected", sa.Integer(), nullable=False),
        sa.Column("monthly_exposure", ExactNumeric(18, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        *_reported(),
    )
    op.create_table(
        "renewal_spend",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("vendor_key", sa.String(255), nullable=False, index=True),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("price_change_pct", ExactNumeric(9, 2), nullable=True),
        sa.Column("spend_12m", ExactNumeric(18, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("recommendation", sa.String(20), nullable=False),
        *_reported(),
    )


def downgrade() -> None:
    for table in ("renewal_spend", "licence_findings", "licence_subscriptions", "vendor_anomalies"):
        op.drop_table(table)
