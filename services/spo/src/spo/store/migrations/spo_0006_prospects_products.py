"""A prospect's industry and size and the products quoted (``crm.opportunity.upserted`` 1.1).

Revision ID: spo_0006
Revises: spo_0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "spo_0006"
down_revision = "spo_0005"
branch_labels = None
depends_on = None

COLUMNS = (
    ("prospect_industry", sa.String(128)),
    ("prospect_employee_count", sa.Integer()),
    ("products", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("opportunities") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("opportunities") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
