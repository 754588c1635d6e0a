"""CPI client directory: the payload digest that breaks ties between versions with equal times.

Revision ID: cpi_0002
Revises: cpi_0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "cpi_0002"
down_revision = "cpi_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before this revision get the empty digest: any real version at the same time wins.
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("digest", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("digest")
