"""RAM technician roster and effective-dated cost rates.

Revision ID: ram_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "ram_0001"
down_revision = None
branch_labels = ("ram",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "technicians",
        sa.Column("technician_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(255), nullable=True),
        sa.Column("work_role", sa.String(128), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=True),
        sa.Column("home_latitude", sa.Float(), nullable=True),
        sa.Column("home_longitude", sa.Float(), nullable=True),
        sa.Column("daily_capacity_hours", ExactNumeric(5, 2), nullable=False),
        sa.Column("weekly_billable_hours_target", ExactNumeric(6, 2), nullable=True),
        sa.Column("include_in_utilisation", sa.Boolean(), nullable=False),
        sa.Column("hourly_rate_amount", ExactNumeric(18, 4), nullable=True),
        sa.Column("hourly_rate_currency", sa.String(3), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "technician_cost_rates",
        sa.Column(
            "technician_id", sa.String(64), sa.ForeignKey("technicians.technician_id"), primary_key=True
        ),
        sa.Column("effective_from", sa.Date(), primary_key=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("hourly_cost_amount", ExactNumeric(18, 4), nullable=False),
        sa.Column("hourly_cost_currency", sa.String(3), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("technician_cost_rates")
    op.drop_table("technicians")
