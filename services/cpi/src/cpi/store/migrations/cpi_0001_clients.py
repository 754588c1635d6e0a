"""CPI client directory.

Revision ID: cpi_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import UtcDateTime

revision = "cpi_0001"
down_revision = None
branch_labels = ("cpi",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("tier", sa.String(64), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("as_of", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("clients")
