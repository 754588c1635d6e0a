"""DSA's ROI ledger measures RAM's moves: the hours logged on tickets and the technicians' cost rates.

Revision ID: dsa_0007_roi_labour
Revises: dsa_0006_anomaly_state
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "dsa_0007_roi_labour"
down_revision = "dsa_0006_anomaly_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roi_time_entries",
        sa.Column("time_entry_id", sa.String(128), primary_key=True),
        sa.Column("logged_at", UtcDateTime(), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("ticket_id", sa.String(128), nullable=False),
        sa.Column("technician_id", sa.String(128), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("hours", ExactNumeric(9, 4), nullable=False),
        sa.Column("multiplier", ExactNumeric(9, 4), nullable=False),
    )
    op.create_index("ix_roi_time_entries_ticket_id", "roi_time_entries", ["ticket_id"])
    op.create_table(
        "roi_technician_rates",
        sa.Column("technician_id", sa.String(128), primary_key=True),
        sa.Column("upserted_at", UtcDateTime(), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("cost_rates", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_roi_time_entries_ticket_id", "roi_time_entries")
    op.drop_table("roi_time_entries")
    op.drop_table("roi_technician_rates")
