"""When SPO generated a proposal: its PDF's creation date (the PDF is byte-deterministic).

Revision ID: spo_0007
Revises: spo_0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import UtcDateTime

revision = "spo_0007"
down_revision = "spo_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("generated_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("generated_at")
