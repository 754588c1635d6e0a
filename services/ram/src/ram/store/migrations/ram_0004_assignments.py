"""RAM: the assignments of incoming tickets and visits, with their one-sentence explanation.

Revision ID: ram_0004
Revises: ram_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "ram_0004"
down_revision = "ram_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("work_id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False, index=True),
        sa.Column("technician_id", sa.String(64), nullable=True, index=True),
        sa.Column("hours", ExactNumeric(8, 1), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("solver_status", sa.String(64), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("assignments")
