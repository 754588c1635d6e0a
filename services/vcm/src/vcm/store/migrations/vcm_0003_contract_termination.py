"""VCM contract register: the termination date and reason of a terminated contract.

Revision ID: vcm_0003
Revises: vcm_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "vcm_0003"
down_revision = "vcm_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("terminated_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("termination_reason", sa.String(2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("termination_reason")
        batch.drop_column("terminated_on")
