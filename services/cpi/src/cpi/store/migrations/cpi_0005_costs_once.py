"""CPI ledger: product/licence costs counted once. Invoice lines keep their PSA product id (matched
to agreement additions when either side has no vendor SKU); the ledger counts the lines matched by
product only and the licence cost no addition or subscription matches.

Lines stored before this revision have no product id: they keep the SKU-only match until their
invoice is re-sent or the log is replayed.

Revision ID: cpi_0005_costs_once
Revises: cpi_0004_churn
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric

revision = "cpi_0005_costs_once"
down_revision = "cpi_0004_churn"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoice_lines") as batch:
        batch.add_column(sa.Column("product_id", sa.String(128), nullable=True))
    # Ledger rows written before this revision count 0 until they are recomputed.
    with op.batch_alter_table("ledger") as batch:
        batch.add_column(
            sa.Column("lines_matched_by_product", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("licence_cost_unmatched", ExactNumeric(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.drop_column("licence_cost_unmatched")
        batch.drop_column("lines_matched_by_product")
    with op.batch_alter_table("invoice_lines") as batch:
        batch.drop_column("product_id")
