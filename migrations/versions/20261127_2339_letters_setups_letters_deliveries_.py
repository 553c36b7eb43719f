"""letters: setups, letters, deliveries, digests; sender and reply-to on outbox emails

Revision ID: 84cbab21eed9
Revises: f72ba1304c1d
Created: 2026-11-27 23:39:16.517297
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "84cbab21eed9"
down_revision: str | None = "f72ba1304c1d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "letter_setups",
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_official_ids", sa.JSON(), nullable=False),
        sa.Column("target_organisation", sa.String(length=200), nullable=True),
        sa.Column("target_role", sa.String(length=60), nullable=True),
        sa.Column("subject_template", sa.String(length=300), nullable=False),
        sa.Column("body_template", sa.Text(), nullable=False),
        sa.Column("subject_editable", sa.Boolean(), nullable=False),
        sa.Column("min_length", sa.Integer(), nullable=False),
        sa.Column("max_length", sa.Integer(), nullable=False),
        sa.Column("required_phrases", sa.JSON(), nullable=False),
        sa.Column("per_official_hourly_limit", sa.Integer(), nullable=True),
        sa.Column("per_official_daily_limit", sa.Integer(), nullable=True),
        sa.Column("over_limit", sa.String(length=20), nullable=False),
        sa.Column("updated_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "over_limit IN ('queue', 'digest')", name=op.f("ck_letter_setups_over_limit")
        ),
        sa.CheckConstraint(
            "target_kind IN ('fixed', 'division', 'role')",
            name=op.f("ck_letter_setups_target_kind"),
        ),
        sa.CheckConstraint(
            "min_length >= 0 AND max_length >= min_length", name=op.f("ck_letter_setups_lengths")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_letter_setups_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_letter_setups")),
    )
    op.create_table(
        "letters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("postcode", sa.String(length=16), nullable=True),
        sa.Column("locality", sa.String(length=100), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("personalised", sa.Boolean(), nullable=False),
        sa.Column("email_updates", sa.Boolean(), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("confirmation_token_hash", sa.String(length=64), nullable=True),
        sa.Column("view_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'held')", name=op.f("ck_letters_status")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_letters_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_letters_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
        sa.UniqueConstraint(
            "confirmation_token_hash", name=op.f("uq_letters_confirmation_token_hash")
        ),
        sa.UniqueConstraint("view_token_hash", name=op.f("uq_letters_view_token_hash")),
    )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_letters_campaign_id_created_at"),
            ["campaign_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "letter_digests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "official_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("letters", sa.Integer(), nullable=False),
        sa.Column("personalised", sa.Integer(), nullable=False),
        sa.Column(
            "outbox_message_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_letter_digests_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_letter_digests_official_id_officials")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_letter_digests_outbox_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_digests")),
        sa.UniqueConstraint(
            "campaign_id",
            "official_id",
            "day",
            name=op.f("uq_letter_digests_campaign_id_official_id_day"),
        ),
    )
    op.create_table(
        "letter_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "letter_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "official_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("scheduled_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("digest_day", sa.Date(), nullable=True),
        sa.Column(
            "outbox_message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("digest_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.CheckConstraint(
            "state IN ('awaiting_confirmation', 'scheduled', 'in_digest', 'digested', 'held')",
            name=op.f("ck_letter_deliveries_state"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_letter_deliveries_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["digest_id"],
            ["letter_digests.id"],
            name=op.f("fk_letter_deliveries_digest_id_letter_digests"),
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_letter_deliveries_letter_id_letters")
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_letter_deliveries_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_letter_deliveries_outbox_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_deliveries")),
        sa.UniqueConstraint(
            "letter_id", "official_id", name=op.f("uq_letter_deliveries_letter_id_official_id")
        ),
    )
    with op.batch_alter_table("letter_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_letter_deliveries_campaign_id_official_id_scheduled_at"),
            ["campaign_id", "official_id", "scheduled_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_letter_deliveries_state_digest_day"),
            ["state", "digest_day"],
            unique=False,
        )

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("reply_to", sa.String(length=320), nullable=True))

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_confirmed_at", campaign.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("reply_to")
        batch_op.drop_column("from_name")

    with op.batch_alter_table("letter_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_deliveries_state_digest_day"))
        batch_op.drop_index(batch_op.f("ix_letter_deliveries_campaign_id_official_id_scheduled_at"))

    op.drop_table("letter_deliveries")
    op.drop_table("letter_digests")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letters_campaign_id_created_at"))

    op.drop_table("letters")
    op.drop_table("letter_setups")
