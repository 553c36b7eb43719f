"""A petition's thresholds and the record that each was reached, and the target's
response to a petition, which a mailing of its own tells the signers about.

Revision ID: f3c5a1d7b902
Revises: e8b14c05f678
Created: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "f3c5a1d7b902"
down_revision: str | None = "e8b14c05f678"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AUDIENCE_CHECK = "ck_mailings_audience"


def upgrade() -> None:
    op.create_table(
        "petition_thresholds",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("campaign_id", BIG_ID, nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("threshold > 0", name=op.f("ck_petition_thresholds_threshold")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_petition_thresholds_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_thresholds")),
        sa.UniqueConstraint(
            "campaign_id", "threshold", name=op.f("uq_petition_thresholds_campaign_id_threshold")
        ),
    )
    op.create_table(
        "petition_thresholds_reached",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("campaign_id", BIG_ID, nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("signatures", sa.Integer(), nullable=False),
        sa.Column("reached_at", campaign.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("threshold > 0", name=op.f("ck_petition_thresholds_reached_threshold")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_petition_thresholds_reached_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_thresholds_reached")),
        sa.UniqueConstraint(
            "campaign_id",
            "threshold",
            name=op.f("uq_petition_thresholds_reached_campaign_id_threshold"),
        ),
    )
    op.create_table(
        "petition_responses",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("campaign_id", BIG_ID, nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("responded_on", sa.Date(), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_at", campaign.db.UTCDateTime(), nullable=True),
        sa.Column("mailing_id", BIG_ID, nullable=True),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("created_at", campaign.db.UTCDateTime(), nullable=False),
        sa.Column("modified_at", campaign.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published')", name=op.f("ck_petition_responses_status")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_petition_responses_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["mailing_id"], ["mailings.id"], name=op.f("fk_petition_responses_mailing_id_mailings")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name=op.f("fk_petition_responses_created_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_responses")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_petition_responses_campaign_id")),
        sa.UniqueConstraint("mailing_id", name=op.f("uq_petition_responses_mailing_id")),
    )
    # Not found by autogenerate: check constraints are compared by nobody.
    _replace_audience_check("audience IN ('signers', 'letter_writers', 'response_signers')")


def downgrade() -> None:
    op.drop_table("petition_responses")
    op.drop_table("petition_thresholds_reached")
    op.drop_table("petition_thresholds")
    # A response's mailing has gone already; it stays listed, as one to the signers.
    mailings = sa.table("mailings", sa.column("audience", sa.String))
    op.execute(
        mailings.update()
        .where(mailings.c.audience == "response_signers")
        .values(audience="signers")
    )
    _replace_audience_check("audience IN ('signers', 'letter_writers')")


def _replace_audience_check(condition: str) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("mailings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(AUDIENCE_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(AUDIENCE_CHECK), sa.text(condition))
