"""The outbox's claim index becomes two partial ones: due pending messages by
(available_at, id), and unsettled hand-overs by available_at.

The index on (status, available_at) let PostgreSQL answer "these ids, if pending or
sending" by reading every in-flight row instead of the primary key whenever its
statistics said few were in flight; the partial indexes cannot be used for that, and
the claim reads its rows in order from the first without a sort.

Revision ID: b58e1f2d3c45
Revises: a37d4e0c1b23
Created: 2026-12-03 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b58e1f2d3c45"
down_revision: str | None = "a37d4e0c1b23"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
SENDING = sa.text("status = 'sending'")


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_status_available_at")
        batch_op.create_index(
            "ix_outbox_messages_due",
            ["available_at", "id"],
            unique=False,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )
        batch_op.create_index(
            "ix_outbox_messages_unsettled",
            ["available_at"],
            unique=False,
            postgresql_where=SENDING,
            sqlite_where=SENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_unsettled")
        batch_op.drop_index("ix_outbox_messages_due")
        batch_op.create_index(
            "ix_outbox_messages_status_available_at", ["status", "available_at"], unique=False
        )
