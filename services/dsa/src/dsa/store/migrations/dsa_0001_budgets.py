"""DSA department budget book.

Revision ID: dsa_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "dsa_0001"
down_revision = None
branch_labels = ("dsa",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("budget_id", sa.String(64), primary_key=True),
        sa.Column("department", sa.String(128), nullable=False),
        sa.Column("category", sa.String(128), nullable=True),
        sa.Column("cost_center", sa.String(64), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("planned_amount", ExactNumeric(18, 4), nullable=False),
        sa.Column("planned_currency", sa.String(3), nullable=False),
        sa.Column("alert_threshold_pct", ExactNumeric(7, 4), nullable=True),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_budgets_department", "budgets", ["department"])


def downgrade() -> None:
    op.drop_index("ix_budgets_department", table_name="budgets")
    op.drop_table("budgets")
