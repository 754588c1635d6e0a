"""DSA spend lines: every expense, bill line and day of cloud cost, latest version per id.

Revision ID: dsa_0002_spend
Revises: dsa_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "dsa_0002_spend"
down_revision = "dsa_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spend_lines",
        sa.Column("line_id", sa.String(160), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("department", sa.String(128), nullable=False),
        sa.Column("category", sa.String(128), nullable=False),
        sa.Column("vendor", sa.String(256), nullable=False),
        sa.Column("account", sa.String(128), nullable=True),
        sa.Column("service", sa.String(256), nullable=True),
        sa.Column("amount", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_spend_lines_day", "spend_lines", ["day"])
    op.create_index("ix_spend_lines_department", "spend_lines", ["department"])


def downgrade() -> None:
    op.drop_index("ix_spend_lines_department", table_name="spend_lines")
    op.drop_index("ix_spend_lines_day", table_name="spend_lines")
    op.drop_table("spend_lines")
