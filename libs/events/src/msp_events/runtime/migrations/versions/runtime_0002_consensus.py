"""Runtime tables for the consensus protocol: a proposer's proposals and the ballots it received;
the inbox keeps each event's subject, so a voter can cite the events about what it votes on.

Revision ID: runtime_0002
Revises: runtime_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import UtcDateTime

revision = "runtime_0002"
down_revision = "runtime_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbox", sa.Column("subject", sa.String(255), nullable=True))
    op.create_index("ix_inbox_type_subject", "inbox", ["type", "subject"])
    op.create_table(
        "consensus_proposal",
        sa.Column("decision_id", sa.String(255), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("event_source", sa.String(255), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("correlation_id", sa.String(255), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
    )
    op.create_index("ix_consensus_proposal_expires_at", "consensus_proposal", ["expires_at"])
    op.create_table(
        "consensus_ballot",
        sa.Column("decision_id", sa.String(255), primary_key=True),
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("voter", sa.String(32), nullable=False),
        sa.Column("vote", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(32), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("cast_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("consensus_ballot")
    op.drop_index("ix_consensus_proposal_expires_at", table_name="consensus_proposal")
    op.drop_table("consensus_proposal")
    op.drop_index("ix_inbox_type_subject", table_name="inbox")
    op.drop_column("inbox", "subject")
