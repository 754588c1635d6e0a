"""SPO proposals and SLI's licence answers.

Revision ID: spo_0004
Revises: spo_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "spo_0004"
down_revision = "spo_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("proposal_id", sa.String(64), primary_key=True),
        sa.Column("suggestion_id", sa.String(64), nullable=False, unique=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("wait_until", sa.Date(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
    )
    op.create_index("ix_proposals_client_id", "proposals", ["client_id"])
    op.create_table(
        "licence_checks",
        sa.Column("suggestion_id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("licence_checks")
    op.drop_index("ix_proposals_client_id", table_name="proposals")
    op.drop_table("proposals")
