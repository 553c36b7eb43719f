"""donations: setups, donations, payments, stripe events

Revision ID: aa366eff66b4
Revises: 84cbab21eed9
Created: 2026-11-27 23:53:11.169737
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "aa366eff66b4"
down_revision: str | None = "84cbab21eed9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("received_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_stripe_events_event_id")),
    )
    op.create_table(
        "donation_setups",
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("suggested_amounts", sa.JSON(), nullable=False),
        sa.Column("minimum_amount", sa.Integer(), nullable=False),
        sa.Column("maximum_amount", sa.Integer(), nullable=False),
        sa.Column("allow_one_off", sa.Boolean(), nullable=False),
        sa.Column("allow_monthly", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "allow_one_off OR allow_monthly", name=op.f("ck_donation_setups_some_frequency")
        ),
        sa.CheckConstraint(
            "minimum_amount > 0 AND maximum_amount >= minimum_amount",
            name=op.f("ck_donation_setups_range"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_donation_setups_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_donation_setups")),
    )
    op.create_table(
        "donations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("stripe_session_id", sa.String(length=255), nullable=True),
        sa.Column("checkout_url", sa.String(length=2000), nullable=True),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "frequency IN ('one_off', 'monthly')", name=op.f("ck_donations_frequency")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_donations_amount")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_donations_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_donations_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donations")),
        sa.UniqueConstraint(
            "campaign_id", "request_key", name=op.f("uq_donations_campaign_id_request_key")
        ),
        sa.UniqueConstraint("stripe_session_id", name=op.f("uq_donations_stripe_session_id")),
        sa.UniqueConstraint(
            "stripe_subscription_id", name=op.f("uq_donations_stripe_subscription_id")
        ),
    )
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_donations_campaign_id_status"), ["campaign_id", "status"], unique=False
        )

    op.create_table(
        "donation_payments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=False),
        sa.Column(
            "donation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("invoice_id", sa.String(length=255), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("paid_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refunded_amount", sa.Integer(), nullable=False),
        sa.Column("disputed", sa.Boolean(), nullable=False),
        sa.Column("receipt_sent", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["donation_id"],
            ["donations.id"],
            name=op.f("fk_donation_payments_donation_id_donations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donation_payments")),
        sa.UniqueConstraint(
            "payment_intent_id", name=op.f("uq_donation_payments_payment_intent_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("donation_payments")
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donations_campaign_id_status"))

    op.drop_table("donations")
    op.drop_table("donation_setups")
    op.drop_table("stripe_events")
