"""SLI: a subscription's unit cost may be unknown (licensing.subscription.upserted 1.1 leaves it out
when the distributor's list gives no partner cost): the seats still count, the cost is null.

Revision ID: sli_0002
Revises: sli_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric

revision = "sli_0002"
down_revision = "sli_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.alter_column("unit_cost_amount", existing_type=ExactNumeric(18, 4), nullable=True)
        batch.alter_column("unit_cost_currency", existing_type=sa.String(3), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM subscriptions WHERE unit_cost_amount IS NULL")
    with op.batch_alter_table("subscriptions") as batch:
        batch.alter_column("unit_cost_currency", existing_type=sa.String(3), nullable=False)
        batch.alter_column("unit_cost_amount", existing_type=ExactNumeric(18, 4), nullable=False)
