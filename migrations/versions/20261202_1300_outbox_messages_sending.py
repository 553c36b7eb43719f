"""Outbox messages are recorded as sending, with the attempt's id, before they are handed over.

A message is `sending` from just before its provider request until the outcome is
recorded; `attempt_id` is the random id of that request (the provider is given it too)
and `sending_at` when it began.

Going down, messages still sending become pending again: they are sent once more when
their lease runs out, which is what happened to an unsettled claim before this revision.

Revision ID: e15b2c8a9f01
Revises: d04f3b8e5a46
Created: 2026-12-02 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "e15b2c8a9f01"
down_revision: str | None = "d04f3b8e5a46"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CHECK = "ck_outbox_messages_status"
WITH_SENDING = "status IN ('pending', 'sending', 'sent', 'failed')"
WITHOUT_SENDING = "status IN ('pending', 'sent', 'failed')"


def upgrade() -> None:
    # SQLite cannot alter a constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("sending_at", campaign.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(STATUS_CHECK), sa.text(WITH_SENDING))


def downgrade() -> None:
    messages = sa.table("outbox_messages", sa.column("status", sa.String))
    op.execute(messages.update().where(messages.c.status == "sending").values(status="pending"))
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(STATUS_CHECK), sa.text(WITHOUT_SENDING))
        batch_op.drop_column("sending_at")
        batch_op.drop_column("attempt_id")
