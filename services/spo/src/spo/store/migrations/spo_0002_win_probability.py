"""SPO win probability: CRM attributes the model reads, scores and their history, models as JSON,
and the client signals from CPI.

Revision ID: spo_0002
Revises: spo_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "spo_0002"
down_revision = "spo_0001"
branch_labels = None
depends_on = None

NEW_COLUMNS = (
    ("source", sa.String(64)),
    ("opportunity_type", sa.String(32)),
    ("rating", sa.String(16)),
    ("created_on", sa.Date()),
    ("pipeline_change_date", sa.Date()),
    ("furthest_stage", sa.String(32)),
    ("win_probability", ExactNumeric(7, 4)),
    ("win_method", sa.String(32)),
    ("win_why", sa.Text()),
    ("win_reasons", sa.Text()),
    ("scored_at", UtcDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("opportunities") as batch:
        for name, type_ in NEW_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    op.create_table(
        "opportunity_scores",
        sa.Column("opportunity_id", sa.String(64), primary_key=True),
        sa.Column("scored_at", UtcDateTime(), primary_key=True),
        sa.Column("probability", ExactNumeric(7, 4), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("why", sa.Text(), nullable=False),
    )
    op.create_table(
        "win_models",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("trained_at", UtcDateTime(), nullable=False),
        sa.Column("trained_for", sa.String(7), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("closed_deals", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(32), nullable=True),
        sa.Column("cv_auc", sa.String(32), nullable=True),
        sa.Column("model_json", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_table(
        "client_signals",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("margin_pct", ExactNumeric(9, 4), nullable=True),
        sa.Column("margin_band", sa.String(16), nullable=True),
        sa.Column("margin_period", sa.String(7), nullable=True),
        sa.Column("churn_probability", ExactNumeric(9, 6), nullable=True),
        sa.Column("churn_as_of", sa.Date(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("client_signals")
    op.drop_table("win_models")
    op.drop_table("opportunity_scores")
    with op.batch_alter_table("opportunities") as batch:
        for name, _ in reversed(NEW_COLUMNS):
            batch.drop_column(name)
