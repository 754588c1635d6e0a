"""SLI distributor subscription book.

Revision ID: sli_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "sli_0001"
down_revision = None
branch_labels = ("sli",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("subscription_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=True),
        sa.Column("vendor", sa.String(128), nullable=False),
        sa.Column("distributor", sa.String(128), nullable=True),
        sa.Column("sku_id", sa.String(64), nullable=False),
        sa.Column("sku_part_number", sa.String(128), nullable=True),
        sa.Column("product_name", sa.String(255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("consumed_units", sa.Integer(), nullable=True),
        sa.Column("unit_cost_amount", ExactNumeric(18, 4), nullable=False),
        sa.Column("unit_cost_currency", sa.String(3), nullable=False),
        sa.Column("unit_price_amount", ExactNumeric(18, 4), nullable=False),
        sa.Column("unit_price_currency", sa.String(3), nullable=False),
        sa.Column("billing_term", sa.String(16), nullable=False),
        sa.Column("commitment_term_months", sa.Integer(), nullable=True),
        sa.Column("commitment_end_date", sa.Date(), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_subscriptions_client_id", "subscriptions", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_subscriptions_client_id", table_name="subscriptions")
    op.drop_table("subscriptions")
