"""RAM: skills, time entries, tickets, visits, utilisation evaluations, route plans, recommendations.

Revision ID: ram_0002
Revises: ram_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "ram_0002"
down_revision = "ram_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "technician_skills",
        sa.Column("technician_id", sa.String(64), primary_key=True),
        sa.Column("skill", sa.String(128), primary_key=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
    )
    op.create_table(
        "time_entries",
        sa.Column("time_entry_id", sa.String(128), primary_key=True),
        sa.Column("technician_id", sa.String(64), nullable=False, index=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False, index=True),
        sa.Column("hours", ExactNumeric(6, 2), nullable=False),
        sa.Column("hours_billed", ExactNumeric(6, 2), nullable=False),
        sa.Column("absence", sa.Boolean(), nullable=False),
        sa.Column("client_work", sa.Boolean(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("ticket_id", sa.String(128), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, index=True),
        sa.Column("agreement_id", sa.String(64), nullable=True),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fix_by", UtcDateTime(), nullable=True),
        sa.Column("estimated_hours", ExactNumeric(8, 2), nullable=True),
        sa.Column("actual_hours", ExactNumeric(8, 2), nullable=True),
        sa.Column("required_skill", sa.String(128), nullable=True),
        sa.Column("assigned_technician_id", sa.String(64), nullable=True),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "visits",
        sa.Column("visit_id", sa.String(128), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, index=True),
        sa.Column("ticket_id", sa.String(128), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("window_start", UtcDateTime(), nullable=False),
        sa.Column("window_end", UtcDateTime(), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False, index=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("required_skill", sa.String(128), nullable=True),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "utilisation_evaluations",
        sa.Column("subject", sa.String(200), primary_key=True),
        sa.Column("granularity", sa.String(5), primary_key=True),
        sa.Column("period_start", sa.Date(), primary_key=True),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("band", sa.String(16), nullable=False),
        sa.Column("utilisation_pct", ExactNumeric(8, 1), nullable=False),
        sa.Column("available_hours", ExactNumeric(10, 2), nullable=False),
        sa.Column("billable_hours", ExactNumeric(10, 2), nullable=False),
    )
    op.create_table(
        "utilisation_state",
        sa.Column("granularity", sa.String(5), primary_key=True),
        sa.Column("evaluated_through", sa.Date(), nullable=False),
    )
    op.create_table(
        "route_plans",
        sa.Column("plan_date", sa.Date(), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("solved_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "recommendations",
        sa.Column("recommendation_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, index=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "recommendations",
        "route_plans",
        "utilisation_state",
        "utilisation_evaluations",
        "visits",
        "tickets",
        "time_entries",
        "technician_skills",
    ):
        op.drop_table(table)
