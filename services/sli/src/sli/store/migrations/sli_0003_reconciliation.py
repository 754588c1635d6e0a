"""SLI three-way reconciliation: tenant seats, RMM installs, PSA billing lines, the reconciled
lines, findings and renewal reviews; the distributor's product id on subscriptions (that a unit
cost may be unknown is sli_0002's).

Revision ID: sli_0003
Revises: sli_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "sli_0003"
down_revision = "sli_0002"
branch_labels = None
depends_on = None


def _money(name: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(f"{name}_amount", ExactNumeric(18, 4), nullable=True),
        sa.Column(f"{name}_currency", sa.String(3), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("product_id", sa.String(64), nullable=True))
    op.create_table(
        "seat_users",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("user_principal_name", sa.String(255), nullable=False),
        sa.Column("account_enabled", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("last_sign_in_at", UtcDateTime(), nullable=True),
        sa.Column("idle_days", sa.Integer(), nullable=True),
        sa.Column("observed_at", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_seat_users_client_id", "seat_users", ["client_id"])
    op.create_table(
        "seat_snapshots",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("observed_at", UtcDateTime(), primary_key=True),
        sa.Column("sku_ids", sa.Text(), nullable=False),
    )
    op.create_table(
        "seat_assignments",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("sku_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("sku_part_number", sa.String(128), nullable=True),
        sa.Column("held_since", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_seat_assignments_client_id", "seat_assignments", ["client_id"])
    op.create_table(
        "tenant_baselines",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("first_observed_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("observed_at", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_devices_client_id", "devices", ["client_id"])
    op.create_table(
        "device_software",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("product_key", sa.String(255), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_device_software_client_id", "device_software", ["client_id"])
    op.create_table(
        "agreements",
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_agreements_client_id", "agreements", ["client_id"])
    op.create_table(
        "billing_lines",
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("line_no", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("vendor_sku", sa.String(128), nullable=False),
        sa.Column("quantity", ExactNumeric(18, 4), nullable=False),
        sa.Column("monthly_unit_price", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("cancelled_date", sa.Date(), nullable=True),
    )
    op.create_index("ix_billing_lines_client_id", "billing_lines", ["client_id"])
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_invoices_client_id", "invoices", ["client_id"])
    op.create_table(
        "invoiced_licences",
        sa.Column("invoice_id", sa.String(64), primary_key=True),
        sa.Column("line_no", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("vendor_sku", sa.String(128), nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=True),
        sa.Column("quantity", ExactNumeric(18, 4), nullable=False),
        sa.Column("unit_price", ExactNumeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
    )
    op.create_index("ix_invoiced_licences_client_id", "invoiced_licences", ["client_id"])
    op.create_table("dirty_clients", sa.Column("client_id", sa.String(64), primary_key=True))
    op.create_table(
        "reconciliation_state",
        sa.Column("name", sa.String(16), primary_key=True),
        sa.Column("last_day", sa.Date(), nullable=False),
    )
    op.create_table(
        "licence_lines",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("sku_id", sa.String(128), primary_key=True),
        sa.Column("sku_part_number", sa.String(128), nullable=True),
        sa.Column("product_name", sa.String(255), nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=True),
        sa.Column("subscription_status", sa.String(16), nullable=True),
        sa.Column("subscriptions", sa.Integer(), nullable=False),
        sa.Column("purchased", sa.Integer(), nullable=True),
        sa.Column("commitment_end_date", sa.Date(), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), nullable=True),
        *_money("unit_cost"),
        *_money("list_price"),
        sa.Column("billed", ExactNumeric(18, 4), nullable=True),
        *_money("billed_price"),
        sa.Column("agreement_id", sa.String(64), nullable=True),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.Column("engaged", sa.Integer(), nullable=False),
        sa.Column("idle", sa.Integer(), nullable=False),
        sa.Column("installed", sa.Integer(), nullable=False),
        sa.Column("tenant_read", sa.Boolean(), nullable=False),
        sa.Column("line_class", sa.String(32), nullable=False),
        sa.Column("reconciled_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("finding_id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("sku_id", sa.String(128), nullable=False),
        sa.Column("sku_part_number", sa.String(128), nullable=True),
        sa.Column("product_name", sa.String(255), nullable=False),
        sa.Column("finding_class", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("nature", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("monthly_amount", ExactNumeric(18, 4), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("action_text", sa.Text(), nullable=False),
        sa.Column("inactive_users", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=True),
        sa.Column("agreement_id", sa.String(64), nullable=True),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_findings_client_id", "findings", ["client_id"])
    op.create_table(
        "renewal_reviews",
        sa.Column("subscription_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("sku_id", sa.String(128), nullable=False),
        sa.Column("product_name", sa.String(255), nullable=False),
        sa.Column("renewal_date", sa.Date(), nullable=False),
        sa.Column("reminder_days", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("engaged", sa.Integer(), nullable=False),
        sa.Column("recommended", sa.Integer(), nullable=False),
        sa.Column("change", sa.Integer(), nullable=False),
        sa.Column("monthly_saving", ExactNumeric(18, 4), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("action_text", sa.Text(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_renewal_reviews_client_id", "renewal_reviews", ["client_id"])


def downgrade() -> None:
    for table in (
        "renewal_reviews",
        "findings",
        "licence_lines",
        "reconciliation_state",
        "dirty_clients",
        "invoiced_licences",
        "invoices",
        "billing_lines",
        "agreements",
        "device_software",
        "devices",
        "tenant_baselines",
        "seat_assignments",
        "seat_snapshots",
        "seat_users",
    ):
        op.drop_table(table)
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("product_id")
