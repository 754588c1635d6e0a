"""DSA spend anomalies as published, with the analyst's feedback.

Revision ID: dsa_0003_anomalies
Revises: dsa_0002_spend
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric

revision = "dsa_0003_anomalies"
down_revision = "dsa_0002_spend"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anomalies",
        sa.Column("anomaly_id", sa.String(64), primary_key=True),
        sa.Column("series_key", sa.String(512), nullable=False),
        sa.Column("dimension", sa.String(32), nullable=False),
        sa.Column("value", sa.String(400), nullable=False),
        sa.Column("department", sa.String(128), nullable=False),
        sa.Column("spend_source", sa.String(16), nullable=False),
        sa.Column("category", sa.String(128), nullable=True),
        sa.Column("vendor", sa.String(256), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("peak", sa.Date(), nullable=False),
        sa.Column("expected", ExactNumeric(18, 4), nullable=False),
        sa.Column("actual", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("score", ExactNumeric(7, 4), nullable=False),
        sa.Column("shape", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("root_causes", sa.Text(), nullable=False),
        sa.Column("feedback", sa.String(16), nullable=True),
        sa.Column("feedback_day", sa.Date(), nullable=True),
    )
    op.create_index("ix_anomalies_series_key", "anomalies", ["series_key"])
    op.create_index("ix_anomalies_status", "anomalies", ["status"])


def downgrade() -> None:
    op.drop_index("ix_anomalies_status", table_name="anomalies")
    op.drop_index("ix_anomalies_series_key", table_name="anomalies")
    op.drop_table("anomalies")
