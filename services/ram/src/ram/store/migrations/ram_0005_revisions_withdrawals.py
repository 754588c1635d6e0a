"""RAM: assignment revisions (the basis they were made on), withdrawn forecast alerts, remote visits.

An assignment remembers the required skill and the estimate (a visit's duration) it was made for,
so a ticket that changes either is assigned afresh under the next revision. A forecast alert
remembers when it was withdrawn (the booked work changed and the projection left the band).
Assignments made before this revision have no basis yet: the next tick adopts the work's current
one without re-assigning it. A visit remembers whether it can be done remotely
(``dispatch.visit.requested`` 1.2), which rule 1 turns into a remote slot.

Revision ID: ram_0005
Revises: ram_0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from msp_events.runtime.store import UtcDateTime

revision = "ram_0005"
down_revision = "ram_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("basis", sa.String(200), nullable=True))
    with op.batch_alter_table("utilisation_forecast_alerts") as batch:
        batch.add_column(sa.Column("withdrawn_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("visits") as batch:
        batch.add_column(
            sa.Column("remote_possible", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("remote_possible")
    with op.batch_alter_table("utilisation_forecast_alerts") as batch:
        batch.drop_column("withdrawn_at")
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("basis")
        batch.drop_column("revision")
