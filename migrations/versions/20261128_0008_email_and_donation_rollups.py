"""Email and donation rollups, all-time signature totals, daily breakdowns, a breakdown by
UTM campaign, rare statuses counted per pass.

The rollups are derived data, and the new ones would need every signature read again:
this empties them all and the watermark, so the next pass (or `campaign metrics
rebuild`, which a large database should run straight after upgrading) counts everything.

Revision ID: ebd4217b0984
Revises: 08d475d86a5a
Created: 2026-11-28 04:21:57.809273
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "ebd4217b0984"
down_revision: str | None = "08d475d86a5a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SIGNATURE_COUNTS = ("created", "confirmed")
NEW_BREAKDOWNS = (
    ("signature_country_daily", "day", "country", SIGNATURE_COUNTS),
    ("signature_source_daily", "day", "source", SIGNATURE_COUNTS),
    ("signature_utm_campaign_rollups", "hour", "utm_campaign", SIGNATURE_COUNTS),
    ("signature_utm_campaign_daily", "day", "utm_campaign", SIGNATURE_COUNTS),
    ("page_view_daily", "day", "source", ("views",)),
)
OLD_ROLLUPS = (
    "signature_hourly",
    "signature_country_rollups",
    "signature_source_rollups",
    "page_view_rollups",
    "metrics_watermarks",
)


def upgrade() -> None:
    op.create_table(
        "donation_hourly",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("hour", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("donations", sa.Integer(), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "hour", "currency", name=op.f("pk_donation_hourly")),
    )
    op.create_table(
        "donation_totals",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("donations", sa.BigInteger(), nullable=False),
        sa.Column("payments", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "currency", name=op.f("pk_donation_totals")),
    )
    op.create_table(
        "email_totals",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("sent", sa.BigInteger(), nullable=False),
        sa.Column("delivered", sa.BigInteger(), nullable=False),
        sa.Column("bounced", sa.BigInteger(), nullable=False),
        sa.Column("opened", sa.BigInteger(), nullable=False),
        sa.Column("unsubscribed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_email_totals")),
    )
    op.create_table(
        "signature_rare_status_counts",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("signatures", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "campaign_id", "status", "confirmed", name=op.f("pk_signature_rare_status_counts")
        ),
    )
    op.create_table(
        "signature_totals",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("confirmed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_signature_totals")),
    )
    for table, period, key, counts in NEW_BREAKDOWNS:
        op.create_table(
            table,
            sa.Column("campaign_id", sa.BigInteger(), nullable=False),
            sa.Column(period, campaign.db.UTCDateTime(timezone=True), nullable=False),
            sa.Column(key, sa.String(length=2 if key == "country" else 200), nullable=False),
            *(sa.Column(count, sa.Integer(), nullable=False) for count in counts),
            sa.PrimaryKeyConstraint("campaign_id", period, key, name=op.f(f"pk_{table}")),
        )
    for table in OLD_ROLLUPS:
        op.execute(sa.table(table).delete())
    with op.batch_alter_table("donation_payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_donation_payments_donation_id", ["donation_id", "paid_at"], unique=False
        )
        batch_op.create_index(
            "ix_donation_payments_paid_at",
            ["paid_at"],
            unique=False,
            postgresql_where=sa.text("paid_at IS NOT NULL"),
            sqlite_where=sa.text("paid_at IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_donation_payments_refunded",
            ["donation_id", "currency", "paid_at", "refunded_amount"],
            unique=False,
            postgresql_where=sa.text("refunded_amount > 0"),
            sqlite_where=sa.text("refunded_amount > 0"),
        )

    with op.batch_alter_table("metrics_watermarks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("emails_sent_until", campaign.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("email_event_id", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("paid_until", campaign.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_messages_sent_at",
            ["sent_at"],
            unique=False,
            postgresql_where=sa.text("sent_at IS NOT NULL"),
            sqlite_where=sa.text("sent_at IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_messages_sent_at",
            postgresql_where=sa.text("sent_at IS NOT NULL"),
            sqlite_where=sa.text("sent_at IS NOT NULL"),
        )

    with op.batch_alter_table("metrics_watermarks", schema=None) as batch_op:
        batch_op.drop_column("paid_until")
        batch_op.drop_column("email_event_id")
        batch_op.drop_column("emails_sent_until")

    with op.batch_alter_table("donation_payments", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_donation_payments_refunded",
            postgresql_where=sa.text("refunded_amount > 0"),
            sqlite_where=sa.text("refunded_amount > 0"),
        )
        batch_op.drop_index(
            "ix_donation_payments_paid_at",
            postgresql_where=sa.text("paid_at IS NOT NULL"),
            sqlite_where=sa.text("paid_at IS NOT NULL"),
        )
        batch_op.drop_index("ix_donation_payments_donation_id")

    for table, *_ in NEW_BREAKDOWNS:
        op.drop_table(table)
    op.drop_table("signature_totals")
    op.drop_table("signature_rare_status_counts")
    op.drop_table("email_totals")
    op.drop_table("donation_totals")
    op.drop_table("donation_hourly")
