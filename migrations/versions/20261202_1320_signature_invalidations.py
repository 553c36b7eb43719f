"""Signatures invalidated in bulk by criteria, as jobs with a log.

A job holds its criteria, why and by whom, and how far it has got; each signature it
changed is a row of its own with the status it had, so a reversal restores exactly
those. Signatures get an index on (campaign_id, created_at) for the velocity view and
a job's time window.

Revision ID: a37d4e0c1b23
Revises: f26c3d9b0a12
Created: 2026-12-02 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "a37d4e0c1b23"
down_revision: str | None = "f26c3d9b0a12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invalidation_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("ip_prefix", sa.String(length=50), nullable=True),
        sa.Column("email_domain", sa.String(length=255), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("signed_from", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_until", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("up_to_signature_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("invalidated", sa.Integer(), nullable=False),
        sa.Column("invalidated_until_id", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "cancelled_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("reversal_started_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "reversed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("reversed_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("restored", sa.Integer(), nullable=False),
        sa.Column("restored_until_id", sa.BigInteger(), nullable=False),
        sa.Column("recounted_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_after", sa.Integer(), nullable=True),
        sa.Column("pending_after", sa.Integer(), nullable=True),
        sa.Column("invalidated_after", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'finished', 'cancelled', 'reversing', 'reversed')",
            name=op.f("ck_invalidation_jobs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_invalidation_jobs_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"],
            ["staff_users.id"],
            name=op.f("fk_invalidation_jobs_cancelled_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name=op.f("fk_invalidation_jobs_created_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by"],
            ["staff_users.id"],
            name=op.f("fk_invalidation_jobs_reversed_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invalidation_jobs")),
    )
    with op.batch_alter_table("invalidation_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invalidation_jobs_campaign_id_id"), ["campaign_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invalidation_jobs_status_id"), ["status", "id"], unique=False
        )

    op.create_table(
        "invalidated_signatures",
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "signature_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status_before", sa.String(length=20), nullable=False),
        sa.Column("restored", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["invalidation_jobs.id"],
            name=op.f("fk_invalidated_signatures_job_id_invalidation_jobs"),
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_invalidated_signatures_signature_id_signatures"),
        ),
        sa.PrimaryKeyConstraint("job_id", "signature_id", name=op.f("pk_invalidated_signatures")),
    )
    # The velocity view and a job's time window read a campaign's signatures by when
    # they were made.
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_signatures_campaign_id_created_at", ["campaign_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_signatures_campaign_id_created_at")

    op.drop_table("invalidated_signatures")
    with op.batch_alter_table("invalidation_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invalidation_jobs_status_id"))
        batch_op.drop_index(batch_op.f("ix_invalidation_jobs_campaign_id_id"))

    op.drop_table("invalidation_jobs")
