"""People's data rights: erased people, suppressions kept as a keyed hash, the links
people ask for to see or erase their data, and the log of exports and erasures.

Revision ID: b6e2d9a1c4f0
Revises: a3c5f1d2e7b9
Created: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "b6e2d9a1c4f0"
down_revision: str | None = "a3c5f1d2e7b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
REASONS = "reason IN ('hard_bounce', 'spam_report', 'unsubscribe')"
REASONS_WITH_ERASED = "reason IN ('hard_bounce', 'spam_report', 'unsubscribe', 'erased')"


def upgrade() -> None:
    # Not in batch mode: on SQLite that would copy the table and lose its webhook triggers.
    op.add_column("people", sa.Column("erased_at", campaign.db.UTCDateTime(), nullable=True))

    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_hash", sa.String(length=64), nullable=True))
        batch_op.alter_column(
            "email_normalised", existing_type=sa.String(length=320), nullable=True
        )
        batch_op.drop_constraint(batch_op.f("ck_suppressions_reason"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_suppressions_reason"), REASONS_WITH_ERASED)
        batch_op.create_check_constraint(
            batch_op.f("ck_suppressions_address"),
            "email_normalised IS NOT NULL OR email_hash IS NOT NULL",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_suppressions_email_hash_reason"), ["email_hash", "reason"]
        )

    op.create_table(
        "data_rights_links",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email_normalised", sa.String(length=320), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", campaign.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_rights_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_data_rights_links_token_hash")),
    )
    op.create_index(op.f("ix_data_rights_links_expires_at"), "data_rights_links", ["expires_at"])

    op.create_table(
        "privacy_audit_log",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("requester", sa.String(length=10), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("staff_user_id", BIG_ID, nullable=True),
        sa.Column("api_token_id", BIG_ID, nullable=True),
        sa.Column("created_at", campaign.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "action IN ('export', 'erasure', 'consent_ledger')",
            name=op.f("ck_privacy_audit_log_action"),
        ),
        sa.CheckConstraint(
            "requester IN ('staff', 'person')", name=op.f("ck_privacy_audit_log_requester")
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_privacy_audit_log_staff_user_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["api_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_privacy_audit_log_api_token_id_api_tokens"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_audit_log")),
    )
    op.create_index(op.f("ix_privacy_audit_log_created_at"), "privacy_audit_log", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_audit_log_created_at"), table_name="privacy_audit_log")
    op.drop_table("privacy_audit_log")
    op.drop_index(op.f("ix_data_rights_links_expires_at"), table_name="data_rights_links")
    op.drop_table("data_rights_links")
    # Rows that hold only a hash have no address to go back to.
    op.execute("DELETE FROM suppressions WHERE email_normalised IS NULL OR reason = 'erased'")
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_suppressions_email_hash_reason"), type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_suppressions_address"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_suppressions_reason"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_suppressions_reason"), REASONS)
        batch_op.alter_column(
            "email_normalised", existing_type=sa.String(length=320), nullable=False
        )
        batch_op.drop_column("email_hash")
    op.drop_column("people", "erased_at")
