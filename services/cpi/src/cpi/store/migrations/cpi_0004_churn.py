"""CPI churn risk: facts with the time they became known, models, scores, schedule.

Revision ID: cpi_0004_churn
Revises: cpi_0003_ledger
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "cpi_0004_churn"
down_revision = "cpi_0003_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "churn_tickets",
        sa.Column("ticket_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("breached_at", UtcDateTime(), nullable=True),
        sa.Column("csat_rating", sa.String(16), nullable=True),
        sa.Column("csat_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_churn_tickets_client_id", "churn_tickets", ["client_id"])
    op.create_table(
        "churn_invoices",
        sa.Column("invoice_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("total", ExactNumeric(), nullable=False),
    )
    op.create_index("ix_churn_invoices_client_id", "churn_invoices", ["client_id"])
    op.create_table(
        "churn_payments",
        sa.Column("payment_id", sa.String(64), primary_key=True),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("amount", ExactNumeric(), nullable=False),
    )
    op.create_index("ix_churn_payments_invoice_id", "churn_payments", ["invoice_id"])
    op.create_index("ix_churn_payments_client_id", "churn_payments", ["client_id"])
    op.create_table(
        "churn_clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("churned_on", sa.Date(), nullable=True),
        sa.Column("employee_count", sa.Integer(), nullable=True),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "churn_agreement_versions",
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("known_at", UtcDateTime(), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("agreement_type", sa.String(32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("cancelled_date", sa.Date(), nullable=True),
    )
    op.create_index("ix_churn_agreement_versions_client_id", "churn_agreement_versions", ["client_id"])
    op.create_table(
        "churn_models",
        sa.Column("trained_at", UtcDateTime(), primary_key=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("training_rows", sa.Integer(), nullable=False),
        sa.Column("training_churns", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
    )
    op.create_table(
        "churn_scores",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("scored_at", UtcDateTime(), nullable=False),
        sa.Column("probability", ExactNumeric(9, 6), nullable=False),
        sa.Column("band", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("model_trained_at", UtcDateTime(), nullable=True),
        sa.Column("training_rows", sa.Integer(), nullable=False),
        sa.Column("published_band", sa.String(16), nullable=True),
    )
    op.create_table(
        "churn_schedule",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_scored_month", sa.Date(), nullable=True),
        sa.Column("last_trained_at", UtcDateTime(), nullable=True),
    )


def downgrade() -> None:
    for table in (
        "churn_schedule",
        "churn_scores",
        "churn_models",
        "churn_agreement_versions",
        "churn_clients",
        "churn_payments",
        "churn_invoices",
        "churn_tickets",
    ):
        op.drop_table(table)
