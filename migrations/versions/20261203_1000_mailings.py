"""Mailings: updates staff write to a campaign's supporters, and the outbox's two
lanes (what a person is waiting for first, a mailing's bulk after).

The claim index gains `priority` as its first column, so each lane is read in order
from the index. A mailing's messages carry its id, unique per address.

Revision ID: e8b14c05f678
Revises: d7a03b4f5e67
Created: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "e8b14c05f678"
down_revision: str | None = "d7a03b4f5e67"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PENDING = sa.text("status = 'pending'")
OF_A_MAILING = sa.text("mailing_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "mailings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("campaign_id", BIG_ID, nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("sender_name", sa.String(length=100), nullable=True),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("tag_ids", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("send_at", campaign.db.UTCDateTime(), nullable=True),
        sa.Column("enqueued_through", BIG_ID, nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("started_at", campaign.db.UTCDateTime(), nullable=True),
        sa.Column("enqueued_at", campaign.db.UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", campaign.db.UTCDateTime(), nullable=True),
        sa.Column("unsent_discarded_at", campaign.db.UTCDateTime(), nullable=True),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("created_at", campaign.db.UTCDateTime(), nullable=False),
        sa.Column("modified_at", campaign.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')",
            name=op.f("ck_mailings_status"),
        ),
        sa.CheckConstraint(
            "audience IN ('signers', 'letter_writers')", name=op.f("ck_mailings_audience")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_mailings_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_users.id"], name=op.f("fk_mailings_created_by_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailings")),
    )
    op.create_index(
        op.f("ix_mailings_campaign_id_id"), "mailings", ["campaign_id", "id"], unique=False
    )
    op.create_index(op.f("ix_mailings_status_send_at"), "mailings", ["status", "send_at"])

    # A letter campaign's writers walked in person id order (its mailings' recipients).
    op.create_index(
        op.f("ix_letters_campaign_id_person_id"), "letters", ["campaign_id", "person_id"]
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mailing_id", BIG_ID, nullable=True))
        batch_op.add_column(
            sa.Column("priority", sa.SmallInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_mailing_id_mailings"), "mailings", ["mailing_id"], ["id"]
        )
        batch_op.drop_index("ix_outbox_messages_due")
        batch_op.create_index(
            "ix_outbox_messages_due",
            ["priority", "available_at", "id"],
            unique=False,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )
        batch_op.create_index(
            "uq_outbox_messages_mailing_id_to_address",
            ["mailing_id", "to_address"],
            unique=True,
            postgresql_where=OF_A_MAILING,
            sqlite_where=OF_A_MAILING,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("uq_outbox_messages_mailing_id_to_address")
        batch_op.drop_index("ix_outbox_messages_due")
        batch_op.create_index(
            "ix_outbox_messages_due",
            ["available_at", "id"],
            unique=False,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_messages_mailing_id_mailings"), type_="foreignkey"
        )
        batch_op.drop_column("priority")
        batch_op.drop_column("mailing_id")
    op.drop_index(op.f("ix_letters_campaign_id_person_id"), table_name="letters")
    op.drop_index(op.f("ix_mailings_status_send_at"), table_name="mailings")
    op.drop_index(op.f("ix_mailings_campaign_id_id"), table_name="mailings")
    op.drop_table("mailings")
