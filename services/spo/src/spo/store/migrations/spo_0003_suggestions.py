"""SPO opportunities from delivery data: the facts the five rules read, and the suggestions.

Revision ID: spo_0003
Revises: spo_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "spo_0003"
down_revision = "spo_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("industry", sa.String(128), nullable=True),
        sa.Column("employee_count", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "agreements",
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("agreement_type", sa.String(32), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("notice_period_days", sa.Integer(), nullable=True),
        sa.Column("monthly_fee", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("products", sa.Text(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_agreements_client_id", "agreements", ["client_id"])
    op.create_table(
        "time_entries",
        sa.Column("time_entry_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("hours", ExactNumeric(9, 2), nullable=False),
        sa.Column("billed", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
    )
    op.create_index("ix_time_entries_client_id", "time_entries", ["client_id"])
    op.create_table(
        "licence_findings",
        sa.Column("violation_id", sa.String(128), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("sku_id", sa.String(128), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("monthly_exposure", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("commitment_end_date", sa.Date(), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "margin_reports",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("margin_pct", ExactNumeric(9, 4), nullable=False),
        sa.Column("target_pct", ExactNumeric(9, 4), nullable=True),
        sa.Column("band", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("revenue", ExactNumeric(18, 4), nullable=False),
        sa.Column("cost", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
    )
    op.create_table(
        "suggestions",
        sa.Column("suggestion_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("estimated_recurring_monthly", ExactNumeric(18, 4), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("win_probability_pct", ExactNumeric(7, 4), nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=True),
        sa.Column("sku_id", sa.String(128), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("act_by", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_suggestions_client_id", "suggestions", ["client_id"])
    op.create_table(
        "runs",
        sa.Column("job", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "runs",
        "suggestions",
        "margin_reports",
        "licence_findings",
        "time_entries",
        "agreements",
        "clients",
    ):
        op.drop_table(table)
