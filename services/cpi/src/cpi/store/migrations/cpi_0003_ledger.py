"""CPI ledger: fact tables (agreements, technicians and their cost rates, time entries, invoice
lines by month, subscription versions, licence leakage), the month calendar, the materialised month
ledger, the dirty-key work list and the published margin judgements.

Revision ID: cpi_0003_ledger
Revises: cpi_0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "cpi_0003_ledger"
down_revision = "cpi_0002"
branch_labels = None
depends_on = None


def _money(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, ExactNumeric(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("agreement_type", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _money("bill_amount"),
        sa.Column("billing_cycle", sa.String(16), nullable=False),
        _money("monthly_fee", nullable=True),
        _money("included_hours", nullable=True),
        _money("monthly_included_hours", nullable=True),
        sa.Column("fixed_fee", sa.Boolean(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("start_month", sa.String(7), nullable=False),
        sa.Column("end_month", sa.String(7), nullable=True),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "agreement_additions",
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("line_no", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("product_id", sa.String(128), nullable=False),
        sa.Column("vendor_sku", sa.String(128), nullable=True),
        _money("quantity"),
        _money("monthly_price"),
        _money("monthly_cost"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("from_month", sa.String(7), nullable=False),
        sa.Column("to_month", sa.String(7), nullable=True),
    )
    op.create_table(
        "technicians",
        sa.Column("technician_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "technician_rates",
        sa.Column("technician_id", sa.String(64), primary_key=True),
        sa.Column("valid_from", sa.Date(), primary_key=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        _money("hourly_cost"),
        sa.Column("currency", sa.String(3), nullable=False),
    )
    op.create_table(
        "time_entries",
        sa.Column("time_entry_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("technician_id", sa.String(64), nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        _money("hours"),
        _money("hours_deducted"),
        _money("multiplier"),
        _money("time_value", nullable=True),
        sa.Column("value_currency", sa.String(3), nullable=True),
        sa.Column("absence", sa.Boolean(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_time_entries_key", "time_entries", ["client_id", "agreement_id", "month"])
    op.create_index("ix_time_entries_technician", "time_entries", ["technician_id", "work_date"])
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, index=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.String(64), primary_key=True),
        sa.Column("line_no", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("line_type", sa.String(16), nullable=False),
        sa.Column("vendor_sku", sa.String(128), nullable=True),
        _money("amount"),
        _money("cost", nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
    )
    op.create_index("ix_invoice_lines_key", "invoice_lines", ["client_id", "agreement_id", "month"])
    op.create_table(
        "subscriptions",
        sa.Column("subscription_id", sa.String(64), primary_key=True),
        sa.Column("observed_month", sa.String(7), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, index=True),
        sa.Column("sku_id", sa.String(128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _money("monthly_cost"),
        _money("monthly_price"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("costed", sa.Boolean(), nullable=False),
        sa.Column("from_month", sa.String(7), nullable=False),
        sa.Column("to_month", sa.String(7), nullable=True),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "licence_leakage",
        sa.Column("violation_id", sa.String(128), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, index=True),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("sku_id", sa.String(128), nullable=False),
        sa.Column("seats_affected", sa.Integer(), nullable=False),
        _money("exposure"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "ledger_months",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
    )
    op.create_table(
        "ledger_dirty",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
    )
    op.create_table(
        "ledger",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("currency", sa.String(3), nullable=False),
        _money("revenue_fee"),
        _money("revenue_labour"),
        _money("revenue_product"),
        _money("revenue_licence"),
        _money("revenue_other"),
        _money("cost_labour"),
        _money("cost_addition"),
        _money("cost_licence"),
        _money("cost_product"),
        _money("cost_other"),
        _money("labour_hours"),
        _money("prepaid_hours"),
        _money("time_value"),
        _money("uncosted_hours"),
        _money("unlinked_hours"),
        _money("uncosted_revenue"),
        sa.Column("currency_mismatches", sa.Integer(), nullable=False),
        _money("leakage"),
        sa.Column("leakage_findings", sa.Integer(), nullable=False),
    )
    op.create_index("ix_ledger_month", "ledger", ["month", "client_id"])
    op.create_table(
        "margin_judgements",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("band", sa.String(16), nullable=False),
        sa.Column("margin_pct", ExactNumeric(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("judged_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "ledger_close",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_closed_month", sa.String(7), nullable=True),
    )


def downgrade() -> None:
    for table in (
        "ledger_close",
        "margin_judgements",
        "ledger",
        "ledger_dirty",
        "ledger_months",
        "licence_leakage",
        "subscriptions",
        "invoice_lines",
        "invoices",
        "time_entries",
        "technician_rates",
        "technicians",
        "agreement_additions",
        "agreements",
    ):
        op.drop_table(table)
