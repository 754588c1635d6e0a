"""VCM contract register: terms, corrections, approvals, reminders, renewal cases, full-text search.

The search index is not a mapped table: PostgreSQL keeps a ``tsvector`` with a GIN index, SQLite
(the embedded default) an FTS5 virtual table; the repository queries whichever it has.

Revision ID: vcm_0002
Revises: vcm_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import ExactNumeric, UtcDateTime

revision = "vcm_0002"
down_revision = "vcm_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("document_id", sa.String(128), nullable=False),
        sa.Column("vendor_name", sa.String(255), nullable=True),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("department", sa.String(128), nullable=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("read_status", sa.String(20), nullable=False),
        sa.Column("read_detail", sa.String(1000), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("terms_json", sa.Text(), nullable=False),
        sa.Column("needs_review", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("agreement_date", sa.Date(), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("expiration_date", sa.Date(), nullable=True),
        sa.Column("perpetual", sa.Boolean(), nullable=False),
        sa.Column("auto_renew", sa.Boolean(), nullable=True),
        sa.Column("renewal_value", sa.Integer(), nullable=True),
        sa.Column("renewal_unit", sa.String(10), nullable=True),
        sa.Column("notice_value", sa.Integer(), nullable=True),
        sa.Column("notice_unit", sa.String(10), nullable=True),
        sa.Column("annual_value", ExactNumeric(18, 2), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("price_cap_pct", ExactNumeric(9, 4), nullable=True),
        sa.Column("client_agreement_end", sa.Date(), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_contracts_vendor_name", "contracts", ["vendor_name"])
    op.create_index("ix_contracts_expiration_date", "contracts", ["expiration_date"])
    op.create_table(
        "contract_corrections",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("contract_id", sa.String(64), nullable=False),
        sa.Column("field_name", sa.String(64), nullable=False),
        sa.Column("old_json", sa.Text(), nullable=False),
        sa.Column("new_json", sa.Text(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("corrected_by", sa.String(255), nullable=False),
        sa.Column("comment", sa.String(2000), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_contract_corrections_contract_id", "contract_corrections", ["contract_id"])
    op.create_table(
        "contract_approvals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("contract_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("roles", sa.String(255), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=False),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("comment", sa.String(2000), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_contract_approvals_contract_id", "contract_approvals", ["contract_id"])
    op.create_table(
        "renewal_reminders",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("notice_deadline", sa.Date(), primary_key=True),
        sa.Column("offset_days", sa.Integer(), primary_key=True),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("on_day", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
    )
    op.create_table(
        "renewal_cases",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("notice_deadline", sa.Date(), primary_key=True),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("annual_value", ExactNumeric(18, 2), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("decision", sa.String(20), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE contract_search (contract_id varchar(64) PRIMARY KEY, body tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX ix_contract_search_body ON contract_search USING gin (body)")
    else:
        op.execute("CREATE VIRTUAL TABLE contract_search USING fts5(contract_id UNINDEXED, body)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS contract_search")
    for table in ("renewal_cases", "renewal_reminders", "contract_approvals", "contract_corrections"):
        op.drop_table(table)
    op.drop_index("ix_contracts_expiration_date", table_name="contracts")
    op.drop_index("ix_contracts_vendor_name", table_name="contracts")
    op.drop_table("contracts")
