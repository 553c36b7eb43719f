"""Each signature's postcode as the directory keys its postcodes, for reports to
officials to match on; the signatures there are get theirs here. And each letter's
mark that it has been followed up, with an index over the letters still without one,
so that looking for due follow-ups reads only those.

The backfill runs in Python, in batches of signatures in id order, through the very
function the signing path uses (campaign.targets.service.normalise_postcode). SQL could
not say it exactly on both databases: SQLite has no regular expressions, and Python's
upper() turns some letters that are not ASCII into ASCII ones ("ß" is "SS") where the
databases' upper() does not, or does so by locale. The letters' marks are copied from
their follow-up rows in one UPDATE.

Revision ID: abe91f4bab15
Revises: 3c5e7a9b1d20
Created: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db
from campaign.targets.service import normalise_postcode

revision: str = "abe91f4bab15"
down_revision: str | None = "3c5e7a9b1d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
AWAITING_FOLLOWUP = sa.text("status = 'confirmed' AND followed_up_at IS NULL")
SIGNATURES = sa.table(
    "signatures",
    sa.column("id", sa.BigInteger()),
    sa.column("postcode", sa.String()),
    sa.column("postcode_normalised", sa.String()),
)


def upgrade() -> None:
    # Plain ALTER TABLE, on SQLite too: a copy of the table, as batch mode makes, would
    # lose the triggers on signatures.
    op.add_column("signatures", sa.Column("postcode_normalised", sa.String(16), nullable=True))
    _normalise_signature_postcodes()

    op.add_column("letters", sa.Column("followed_up_at", campaign.db.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE letters SET followed_up_at = (SELECT f.created_at FROM letter_followups f"
        " WHERE f.letter_id = letters.id)"
        " WHERE id IN (SELECT letter_id FROM letter_followups)"
    )
    op.create_index(
        "ix_letters_awaiting_followup",
        "letters",
        ["id"],
        postgresql_where=AWAITING_FOLLOWUP,
        sqlite_where=AWAITING_FOLLOWUP,
    )


def _normalise_signature_postcodes() -> None:
    """Every signature with a postcode gets its normalised form, `BATCH` rows read and
    written at a time, so memory stays bounded however many there are."""
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(SIGNATURES.c.id, SIGNATURES.c.postcode)
            .where(SIGNATURES.c.id > after, SIGNATURES.c.postcode.is_not(None))
            .order_by(SIGNATURES.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        normalised = [
            {"signature_id": row.id, "normalised": normalise_postcode(row.postcode) or None}
            for row in rows
        ]
        connection.execute(
            sa.update(SIGNATURES)
            .where(SIGNATURES.c.id == sa.bindparam("signature_id"))
            .values(postcode_normalised=sa.bindparam("normalised")),
            normalised,
        )
        after = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_letters_awaiting_followup", table_name="letters")
    op.drop_column("letters", "followed_up_at")
    op.drop_column("signatures", "postcode_normalised")
