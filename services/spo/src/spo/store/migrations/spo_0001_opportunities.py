"""SPO opportunity pipeline.

Revision ID: spo_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "spo_0001"
down_revision = None
branch_labels = ("spo",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opportunities",
        sa.Column("opportunity_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("prospect_name", sa.String(255), nullable=True),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("probability", ExactNumeric(7, 4), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=False),
        sa.Column("recurring_monthly_amount", ExactNumeric(18, 4), nullable=True),
        sa.Column("recurring_monthly_currency", sa.String(3), nullable=True),
        sa.Column("recurring_term_months", sa.Integer(), nullable=True),
        sa.Column("one_time_amount", ExactNumeric(18, 4), nullable=True),
        sa.Column("one_time_currency", sa.String(3), nullable=True),
        sa.Column("primary_sales_rep", sa.String(64), nullable=True),
        sa.Column("last_activity_at", UtcDateTime(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_opportunities_client_id", "opportunities", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_opportunities_client_id", table_name="opportunities")
    op.drop_table("opportunities")
