"""Runtime tables: inbox (idempotent consumer), outbox (reliable publish), service clock.

Revision ID: runtime_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import UtcDateTime

revision = "runtime_0001"
down_revision = None
branch_labels = ("runtime",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("source", sa.String(255), primary_key=True),
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("event_time", UtcDateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("event_id", sa.String(255), nullable=False, unique=True),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["seq"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "service_clock",
        sa.Column("clock", sa.String(64), primary_key=True),
        sa.Column("now", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("service_clock")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")
