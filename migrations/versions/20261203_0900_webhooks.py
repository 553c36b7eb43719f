"""Outgoing webhooks: endpoints, and the feed of changes they read, written by
triggers on signatures, letters, donations and people.

The triggers write a feed row only while some endpoint is active, so a deployment
without webhooks pays one indexed lookup of a tiny table per written row.

Revision ID: d7a03b4f5e67
Revises: c69f2a3e4d56
Created: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "d7a03b4f5e67"
down_revision: str | None = "c69f2a3e4d56"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# The tables whose changes are fed, and the kind each feeds.
FED = {
    "signatures": "signature",
    "letters": "outreach",
    "donations": "donation",
    "people": "person",
}


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("batch_end", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("leased_until", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_delivered_at", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_webhook_endpoints_attempts")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name=op.f("fk_webhook_endpoints_created_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_table(
        "webhook_feed",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('signature', 'outreach', 'donation', 'person')",
            name=op.f("ck_webhook_feed_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_feed")),
    )
    with op.batch_alter_table("webhook_feed", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_feed_created_at"), ["created_at"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION webhook_feed_record() RETURNS trigger AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM webhook_endpoints WHERE active) THEN
                    INSERT INTO webhook_feed (kind, resource_id, created_at)
                    VALUES (TG_ARGV[0], NEW.id, clock_timestamp());
                END IF;
                RETURN NULL;
            END
            $$ LANGUAGE plpgsql
            """
        )
        for table, kind in FED.items():
            op.execute(
                f"CREATE TRIGGER {table}_webhook_feed AFTER INSERT OR UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION webhook_feed_record('{kind}')"
            )
    else:
        # SQLAlchemy's own text form of a time on SQLite, so the column reads back.
        now = "strftime('%Y-%m-%d %H:%M:%S', 'now') || '.000000'"
        for table, kind in FED.items():
            for event in ("INSERT", "UPDATE"):
                trigger = (
                    f"CREATE TRIGGER {table}_webhook_feed_{event.lower()} AFTER {event} "  # noqa: S608 (constants)
                    f"ON {table} WHEN EXISTS (SELECT 1 FROM webhook_endpoints WHERE active) "
                    "BEGIN INSERT INTO webhook_feed (kind, resource_id, created_at) "
                    f"VALUES ('{kind}', NEW.id, {now}); END"
                )
                op.execute(trigger)  # built from the constants above


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in FED:
            op.execute(f"DROP TRIGGER {table}_webhook_feed ON {table}")
        op.execute("DROP FUNCTION webhook_feed_record()")
    else:
        for table in FED:
            for event in ("insert", "update"):
                op.execute(f"DROP TRIGGER {table}_webhook_feed_{event}")
    with op.batch_alter_table("webhook_feed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_feed_created_at"))
    op.drop_table("webhook_feed")
    op.drop_table("webhook_endpoints")
