"""releases and their calls to action; letter campaigns

Revision ID: f3c5766e6aab
Revises: 85da54806b5e
Created: 2026-11-27 22:27:22.408047
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import campaign.db

revision: str = "f3c5766e6aab"
down_revision: str | None = "85da54806b5e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("source_format", sa.String(length=20), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("submitted", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source_format IN ('text', 'markdown', 'html')", name=op.f("ck_releases_source_format")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_releases_content_hash")),
    )
    op.create_table(
        "calls_to_action",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "release_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column(
            "targets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "resolved_targets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("strength", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "merged_into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed', 'accepted', 'rejected', 'merged')",
            name=op.f("ck_calls_to_action_status"),
        ),
        sa.CheckConstraint(
            "strength IN ('must', 'should', 'call', 'urge', 'demand', 'other')",
            name=op.f("ck_calls_to_action_strength"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_calls_to_action_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["calls_to_action.id"],
            name=op.f("fk_calls_to_action_merged_into_id_calls_to_action"),
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_calls_to_action_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls_to_action")),
    )
    with op.batch_alter_table("calls_to_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calls_to_action_release_id_start"), ["release_id", "start"], unique=False
        )

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "release_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_campaigns_release_id_releases"), "releases", ["release_id"], ["id"]
        )
        # Not found by autogenerate: check constraints are compared by nobody.
        batch_op.drop_constraint(batch_op.f("ck_campaigns_kind"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_campaigns_kind"), "kind IN ('petition', 'letter')"
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_campaigns_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_campaigns_kind"), "kind IN ('petition')")
        batch_op.drop_constraint(batch_op.f("fk_campaigns_release_id_releases"), type_="foreignkey")
        batch_op.drop_column("release_id")

    with op.batch_alter_table("calls_to_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_to_action_release_id_start"))

    op.drop_table("calls_to_action")
    op.drop_table("releases")
