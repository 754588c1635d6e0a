"""VCM contract document register (fingerprints and metadata, not the files).

Revision ID: vcm_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import UtcDateTime

revision = "vcm_0001"
down_revision = None
branch_labels = ("vcm",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_documents",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(128), nullable=False),
        sa.Column("contract_id", sa.String(64), nullable=True),
        sa.Column("document_kind", sa.String(32), nullable=True),
        sa.Column("vendor_name", sa.String(255), nullable=True),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("uploaded_by", sa.String(255), nullable=True),
    )
    op.create_index("ix_contract_documents_document_id", "contract_documents", ["document_id"])
    op.create_index("ix_contract_documents_client_id", "contract_documents", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_contract_documents_client_id", table_name="contract_documents")
    op.drop_index("ix_contract_documents_document_id", table_name="contract_documents")
    op.drop_table("contract_documents")
