"""DSA's ROI ledger facts for RAM: allocation advice and the ticket assignments that show it acted on.

Revision ID: dsa_0005_roi_allocations
Revises: dsa_0004_roi
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "dsa_0005_roi_allocations"
down_revision = "dsa_0004_roi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roi_allocations",
        sa.Column("client_id", sa.String(128), primary_key=True),
        sa.Column("advised_at", UtcDateTime(), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("monthly_saving", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("moves", sa.Text(), nullable=False),
    )
    op.create_table(
        "roi_ticket_assignments",
        sa.Column("ticket_id", sa.String(128), primary_key=True),
        sa.Column("updated_at", UtcDateTime(), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("technician_id", sa.String(128), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("roi_ticket_assignments")
    op.drop_table("roi_allocations")
