"""CPI margin judgements remember what was published: band, margin and event time, so a late fact
that changes a published judgement is corrected against what consumers saw, with an event time
not earlier than the event it corrects.

Revision ID: cpi_0006_published_judgement
Revises: cpi_0005_costs_once
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "cpi_0006_published_judgement"
down_revision = "cpi_0005_costs_once"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("margin_judgements") as table:
        table.add_column(sa.Column("published_band", sa.String(16), nullable=True))
        table.add_column(sa.Column("published_margin_pct", ExactNumeric(), nullable=True))
        table.add_column(sa.Column("published_at", UtcDateTime(), nullable=True))
    # judgements published before this migration: the band and margin they were last judged in,
    # at the time they were judged (the best that is known)
    op.execute(
        "UPDATE margin_judgements SET published_band = band, published_margin_pct = margin_pct, "
        "published_at = judged_at WHERE published"
    )


def downgrade() -> None:
    with op.batch_alter_table("margin_judgements") as table:
        table.drop_column("published_at")
        table.drop_column("published_margin_pct")
        table.drop_column("published_band")
