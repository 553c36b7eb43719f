"""email events, delivery status, suppressions

Revision ID: c91764f2ebcf
Revises: f3c5766e6aab
Created: 2026-11-27 22:52:43.461890
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import campaign.db

revision: str = "c91764f2ebcf"
down_revision: str | None = "f3c5766e6aab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email_normalised", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('hard_bounce', 'spam_report', 'unsubscribe')",
            name=op.f("ck_suppressions_reason"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
        sa.UniqueConstraint(
            "email_normalised", "reason", name=op.f("uq_suppressions_email_normalised_reason")
        ),
    )
    op.create_table(
        "email_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider_event_id", sa.String(length=200), nullable=False),
        sa.Column(
            "outbox_message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("received_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_email_events_outbox_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_events")),
        sa.UniqueConstraint("provider_event_id", name=op.f("uq_email_events_provider_event_id")),
    )
    with op.batch_alter_table("email_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_events_outbox_message_id_occurred_at"),
            ["outbox_message_id", "occurred_at"],
            unique=False,
        )

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery_status", sa.String(length=20), nullable=False, server_default="queued"
            )
        )
        # Not found by autogenerate: check constraints on existing tables.
        batch_op.create_check_constraint(
            batch_op.f("ck_outbox_messages_delivery_status"),
            "delivery_status IN ('queued', 'sent', 'delivered', 'deferred', 'bounced', 'dropped')",
        )
    # Messages already handed over before this column existed were at least sent.
    op.execute("UPDATE outbox_messages SET delivery_status = 'sent' WHERE status = 'sent'")


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_messages_delivery_status"), type_="check")
        batch_op.drop_column("delivery_status")

    with op.batch_alter_table("email_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_events_outbox_message_id_occurred_at"))

    op.drop_table("email_events")
    op.drop_table("suppressions")
