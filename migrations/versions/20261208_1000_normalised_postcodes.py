"""Each signature's postcode as the directory keys its postcodes, for reports to
officials to match on; the signatures there are get theirs here.

The backfill runs in Python, in batches of signatures in id order, through the very
function the signing path uses (campaign.targets.service.normalise_postcode). SQL could
not say it exactly on both databases: SQLite has no regular expressions, and Python's
upper() turns some letters that are not ASCII into ASCII ones ("ß" is "SS") where the
databases' upper() does not, or does so by locale.

Revision ID: abe91f4bab15
Revises: 3c5e7a9b1d20
Created: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from campaign.targets.service import normalise_postcode

revision: str = "abe91f4bab15"
down_revision: str | None = "3c5e7a9b1d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
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
    op.drop_column("signatures", "postcode_normalised")
