"""Signatures marked fraudulent or invalid by staff keep who, when and why.

A staff mark keeps the status it replaced, so undoing it is exact. Staff page through
a campaign's signatures newest first by id, which needs an index that starts with the
campaign and orders by id (the existing (campaign_id, status) index orders by neither).

Going down drops the marks' details: a marked signature keeps its status (fraudulent or
invalidated, both known before this revision) but can no longer be restored.

Revision ID: b82d1f6e3c24
Revises: a71c0e5d2b13
Created: 2026-12-02 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b82d1f6e3c24"
down_revision: str | None = "a71c0e5d2b13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEW_CHECK = (
    "status_before_review IS NULL OR (status IN ('fraudulent', 'invalidated')"
    " AND status_before_review IN ('pending', 'confirmed', 'fraudulent'))"
)


def upgrade() -> None:
    # SQLite cannot add a foreign key or a check to a table: batch mode copies it.
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_before_review", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("review_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "reviewed_by",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_signatures_reviewed_by_staff_users"),
            "staff_users",
            ["reviewed_by"],
            ["id"],
        )
        batch_op.create_check_constraint(batch_op.f("ck_signatures_review"), sa.text(REVIEW_CHECK))
        batch_op.create_index(
            batch_op.f("ix_signatures_campaign_id_id"), ["campaign_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatures_campaign_id_id"))
        batch_op.drop_constraint(batch_op.f("ck_signatures_review"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_signatures_reviewed_by_staff_users"), type_="foreignkey"
        )
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("review_reason")
        batch_op.drop_column("status_before_review")
