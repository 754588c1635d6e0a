"""Every margin and churn reading of a client, for the win model's as-of features.

A store migrated from spo_0004 starts the history empty (the event times of the readings it kept
are not known): replaying the log fills it.

Revision ID: spo_0005
Revises: spo_0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "spo_0005"
down_revision = "spo_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_signal_history",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("observed_at", UtcDateTime(), primary_key=True),
        sa.Column("ref", sa.String(10), primary_key=True),
        sa.Column("value", ExactNumeric(12, 6), nullable=False),
        sa.Column("band", sa.String(16), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("client_signal_history")
