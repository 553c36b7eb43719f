"""Campaign fields the editor sets: share text, and when a campaign was first published.

`first_published_at` is what decides whether a closed campaign may be shown to the
public: one closed straight from draft never was public and must never become so.

The backfill is exact, not a guess. Until now a campaign could be published only once
(a closed campaign cannot be published again) and publishing was the only thing that set
`published_at`; closing a draft left it empty. So every campaign with `published_at` was
published at that moment, and one without it never was, whatever its state now.

Revision ID: c93e2a7f4d35
Revises: b82d1f6e3c24
Created: 2026-12-02 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "c93e2a7f4d35"
down_revision: str | None = "b82d1f6e3c24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("share_text", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("first_published_at", campaign.db.UTCDateTime(timezone=True), nullable=True)
        )
    campaigns = sa.table(
        "campaigns",
        sa.column("published_at", campaign.db.UTCDateTime(timezone=True)),
        sa.column("first_published_at", campaign.db.UTCDateTime(timezone=True)),
    )
    op.execute(
        campaigns.update()
        .where(campaigns.c.published_at.is_not(None))
        .values(first_published_at=campaigns.c.published_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("first_published_at")
        batch_op.drop_column("share_text")
