"""Reports to officials: a petition's option to ask signers whether their name may be
given to their representative, each signature's answer, and the runs of reports with
one row per official emailed.

Revision ID: 3c5e7a9b1d20
Revises: b6e2d9a1c4f0
Created: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "3c5e7a9b1d20"
down_revision: str | None = "b6e2d9a1c4f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PREPARED = sa.text("status = 'prepared'")


def upgrade() -> None:
    # Plain ALTER TABLE, on SQLite too (it adds and drops a column in place): a copy of
    # the table, as batch mode makes, would lose the triggers on signatures.
    op.add_column(
        "campaigns",
        sa.Column(
            "ask_signers_to_be_named", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    for table in ("signatures", "signature_submissions"):
        op.add_column(
            table,
            sa.Column("name_may_be_given", sa.Boolean(), server_default=sa.false(), nullable=False),
        )

    op.create_table(
        "official_reports",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("campaign_id", BIG_ID, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("officials", sa.Integer(), nullable=False),
        sa.Column("signers", sa.Integer(), nullable=False),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("created_at", campaign.db.UTCDateTime(), nullable=False),
        sa.Column("sent_by", BIG_ID, nullable=True),
        sa.Column("sent_at", campaign.db.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('prepared', 'sent')", name=op.f("ck_official_reports_status")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_official_reports_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name=op.f("fk_official_reports_created_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_by"], ["staff_users.id"], name=op.f("fk_official_reports_sent_by_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_reports")),
    )
    op.create_index(
        op.f("ix_official_reports_campaign_id_id"), "official_reports", ["campaign_id", "id"]
    )
    op.create_index(
        "uq_official_reports_campaign_id_prepared",
        "official_reports",
        ["campaign_id"],
        unique=True,
        postgresql_where=PREPARED,
        sqlite_where=PREPARED,
    )
    op.create_table(
        "official_report_deliveries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("report_id", BIG_ID, nullable=False),
        sa.Column("official_id", BIG_ID, nullable=False),
        sa.Column("division_id", sa.String(length=300), nullable=False),
        sa.Column("signers", sa.Integer(), nullable=False),
        sa.Column("named", sa.Integer(), nullable=False),
        sa.Column("outbox_message_id", BIG_ID, nullable=True),
        sa.Column("created_at", campaign.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["official_reports.id"],
            name=op.f("fk_official_report_deliveries_report_id_official_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_official_report_deliveries_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_official_report_deliveries_outbox_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_report_deliveries")),
        sa.UniqueConstraint(
            "report_id",
            "official_id",
            name=op.f("uq_official_report_deliveries_report_id_official_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("official_report_deliveries")
    op.drop_index("uq_official_reports_campaign_id_prepared", table_name="official_reports")
    op.drop_index(op.f("ix_official_reports_campaign_id_id"), table_name="official_reports")
    op.drop_table("official_reports")
    for table in ("signature_submissions", "signatures"):
        op.drop_column(table, "name_may_be_given")
    op.drop_column("campaigns", "ask_signers_to_be_named")
