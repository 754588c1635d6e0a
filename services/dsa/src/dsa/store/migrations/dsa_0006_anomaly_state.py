"""DSA's daily anomaly detection: the detector state per spend source, and which lines it judged.

Revision ID: dsa_0006_anomaly_state
Revises: dsa_0005_roi_allocations
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "dsa_0006_anomaly_state"
down_revision = "dsa_0005_roi_allocations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anomaly_detector_states",
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("judged_through", sa.Date(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
    )
    # existing lines count as new: without a kept state the first run judges every source whole
    op.add_column("spend_lines", sa.Column("judge_state", sa.Integer(), nullable=False, server_default="1"))
    op.create_index("ix_spend_lines_judge_state", "spend_lines", ["judge_state"])


def downgrade() -> None:
    op.drop_index("ix_spend_lines_judge_state", "spend_lines")
    op.drop_column("spend_lines", "judge_state")
    op.drop_table("anomaly_detector_states")
