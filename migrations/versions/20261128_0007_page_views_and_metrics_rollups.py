"""page views and metrics rollups

Revision ID: 08d475d86a5a
Revises: c5a06aa60948
Created: 2026-11-28 00:07:03.884683
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "08d475d86a5a"
down_revision: str | None = "c5a06aa60948"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metrics_watermarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.BigInteger(), nullable=False),
        sa.Column("page_view_id", sa.BigInteger(), nullable=False),
        sa.Column("confirmed_until", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_metrics_watermarks_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics_watermarks")),
    )
    op.create_table(
        "page_view_rollups",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("hour", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "hour", "source", name=op.f("pk_page_view_rollups")),
    )
    op.create_table(
        "signature_country_rollups",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("hour", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "campaign_id", "hour", "country", name=op.f("pk_signature_country_rollups")
        ),
    )
    op.create_table(
        "signature_hourly",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("hour", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "hour", name=op.f("pk_signature_hourly")),
    )
    op.create_table(
        "signature_source_rollups",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("hour", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "campaign_id", "hour", "source", name=op.f("pk_signature_source_rollups")
        ),
    )
    op.create_table(
        "page_views",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_page_views_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_views")),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_signatures_confirmed_at",
            ["confirmed_at"],
            unique=False,
            postgresql_where=sa.text("confirmed_at IS NOT NULL"),
            sqlite_where=sa.text("confirmed_at IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_signatures_rare_status",
            ["campaign_id", "status", "id", "confirmed_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('fraudulent', 'invalidated')"),
            sqlite_where=sa.text("status IN ('fraudulent', 'invalidated')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_signatures_rare_status",
            postgresql_where=sa.text("status IN ('fraudulent', 'invalidated')"),
            sqlite_where=sa.text("status IN ('fraudulent', 'invalidated')"),
        )
        batch_op.drop_index(
            "ix_signatures_confirmed_at",
            postgresql_where=sa.text("confirmed_at IS NOT NULL"),
            sqlite_where=sa.text("confirmed_at IS NOT NULL"),
        )

    op.drop_table("page_views")
    op.drop_table("signature_source_rollups")
    op.drop_table("signature_hourly")
    op.drop_table("signature_country_rollups")
    op.drop_table("page_view_rollups")
    op.drop_table("metrics_watermarks")
