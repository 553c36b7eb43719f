"""Letter follow-ups: one per letter, asking its activist whether each official it
reached replied, and the answers (ids and answers only).

Revision ID: a3c5f1d2e7b9
Revises: f3c5a1d7b902
Created: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "a3c5f1d2e7b9"
down_revision: str | None = "f3c5a1d7b902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "letter_followups",
        sa.Column("letter_id", BIG_ID, nullable=False),
        sa.Column("campaign_id", BIG_ID, nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("outbox_message_id", BIG_ID, nullable=True),
        sa.Column("created_at", campaign.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('sent', 'suppressed')", name=op.f("ck_letter_followups_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_letter_followups_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_letter_followups_letter_id_letters")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_letter_followups_outbox_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("letter_id", name=op.f("pk_letter_followups")),
    )
    op.create_table(
        "letter_followup_questions",
        sa.Column("delivery_id", BIG_ID, nullable=False),
        sa.Column("letter_id", BIG_ID, nullable=False),
        sa.Column("campaign_id", BIG_ID, nullable=False),
        sa.Column("official_id", BIG_ID, nullable=False),
        sa.Column("delivered_at", campaign.db.UTCDateTime(), nullable=False),
        sa.Column("answer", sa.String(length=20), nullable=True),
        sa.Column("answered_at", campaign.db.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "answer IN ('yes', 'no', 'not_yet')",
            name=op.f("ck_letter_followup_questions_answer"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_letter_followup_questions_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["letter_deliveries.id"],
            name=op.f("fk_letter_followup_questions_delivery_id_letter_deliveries"),
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letter_followups.letter_id"],
            name=op.f("fk_letter_followup_questions_letter_id_letter_followups"),
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_letter_followup_questions_official_id_officials"),
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_letter_followup_questions")),
    )
    op.create_index(
        op.f("ix_letter_followup_questions_campaign_id_official_id"),
        "letter_followup_questions",
        ["campaign_id", "official_id"],
    )
    op.create_index(
        op.f("ix_letter_followup_questions_letter_id"), "letter_followup_questions", ["letter_id"]
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_letter_followup_questions_letter_id"), table_name="letter_followup_questions"
    )
    op.drop_index(
        op.f("ix_letter_followup_questions_campaign_id_official_id"),
        table_name="letter_followup_questions",
    )
    op.drop_table("letter_followup_questions")
    op.drop_table("letter_followups")
