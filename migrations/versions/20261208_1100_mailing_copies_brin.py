"""A mailing's copies found through a block-range index on mailing_id, instead of a
unique B-tree on (mailing_id, to_address).

Each copy's row is written three times as it is sent (claimed, handed over, sent), and
each version went into the B-tree with its address: updating 300,000 rows took 2 to 4 µs
more per row and update with it than without it. Enqueueing writes an address once per mailing without it:
a chunk and the mailing's mark are one transaction under the mailing's row lock, and the
audience is people, one per normalised address. What the index still served, counting a
mailing's messages, a BRIN index does at a fraction of the upkeep: copies are written in
chunks, so their blocks hold one mailing at a time. (SQLite has no BRIN: a B-tree there.)

Revision ID: 5b8e1d3c9a47
Revises: 7d4f2a8c6e15
Created: 2026-12-08 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b8e1d3c9a47"
down_revision: str | None = "7d4f2a8c6e15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OF_A_MAILING = sa.text("mailing_id IS NOT NULL")


def upgrade() -> None:
    # Not in batch mode: on SQLite that copies the table, which would lose its triggers.
    op.drop_index("uq_outbox_messages_mailing_id_to_address", table_name="outbox_messages")
    op.create_index(
        "ix_outbox_messages_mailing_id",
        "outbox_messages",
        ["mailing_id"],
        postgresql_using="brin",
        postgresql_where=OF_A_MAILING,
        sqlite_where=OF_A_MAILING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_mailing_id", table_name="outbox_messages")
    op.create_index(
        "uq_outbox_messages_mailing_id_to_address",
        "outbox_messages",
        ["mailing_id", "to_address"],
        unique=True,
        postgresql_where=OF_A_MAILING,
        sqlite_where=OF_A_MAILING,
    )
