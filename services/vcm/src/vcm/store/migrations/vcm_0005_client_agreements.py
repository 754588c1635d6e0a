"""VCM linked client agreements: the PSA's client agreements (``psa.agreement.upserted``) and the
one a vendor contract backs.

Revision ID: vcm_0005
Revises: vcm_0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import UtcDateTime

revision = "vcm_0005"
down_revision = "vcm_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_agreements",
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, index=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("cancelled_date", sa.Date(), nullable=True),
        sa.Column("reported_at", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("client_agreement_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("client_agreement_id")
    op.drop_table("client_agreements")
