"""Campaign language versions: a campaign's texts in more languages than its own, each
signature's version (its language tag) and the consent wording it was shown, and the
same two on each submission waiting for the worker.

Every signature there is was made on the campaign's primary version, in the campaign's
language: the column is added with a constant default (no rewrite of the table on
PostgreSQL), and the signatures of campaigns in any other language are then set to
theirs, a campaign at a time, `BATCH` rows at once, so no statement holds locks on a
large share of the table. The default stays, the source language, for rows written
other than by signing (which always names the version): data loaded by scripts.

Revision ID: 5b2e8d41c7a9
Revises: 5b8e1d3c9a47
Created: 2026-12-08 11:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "5b2e8d41c7a9"
down_revision: str | None = "5b8e1d3c9a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
FIRST_DEFAULT = "en"


def upgrade() -> None:
    op.create_table(
        "campaign_versions",
        sa.Column("id", campaign.db.BigIntPK, nullable=False),
        sa.Column("campaign_id", campaign.db.BigIntFK, nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("share_text", sa.String(length=500), nullable=True),
        sa.Column("letter_subject", sa.String(length=300), nullable=True),
        sa.Column("letter_body", sa.Text(), nullable=True),
        sa.Column("created_at", campaign.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", campaign.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_versions_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_versions")),
        sa.UniqueConstraint(
            "campaign_id", "language", name=op.f("uq_campaign_versions_campaign_id_language")
        ),
    )
    # Plain ALTER TABLE on SQLite too: a copy of the table, as batch mode makes, would
    # lose the triggers on signatures (and a foreign key cannot be added in place; the
    # consent texts are a ledger, never deleted, so an id there stays good).
    op.add_column(
        "signatures",
        sa.Column("language", sa.String(length=16), nullable=False, server_default=FIRST_DEFAULT),
    )
    op.add_column("signatures", sa.Column("consent_text_id", campaign.db.BigIntFK, nullable=True))
    _set_signature_languages()
    for column in (
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("consent_text_id", campaign.db.BigIntFK, nullable=True),
    ):
        op.add_column("signature_submissions", column)


def _set_signature_languages() -> None:
    connection = op.get_bind()
    campaigns = connection.execute(
        sa.text("SELECT id, language FROM campaigns WHERE language <> :default ORDER BY id"),
        {"default": FIRST_DEFAULT},
    ).all()
    for campaign_id, language in campaigns:
        while True:
            result = connection.execute(
                sa.text(
                    "UPDATE signatures SET language = :language WHERE id IN ("
                    "SELECT id FROM signatures WHERE campaign_id = :campaign_id"
                    " AND language <> :language LIMIT :batch)"
                ),
                {"language": language, "campaign_id": campaign_id, "batch": BATCH},
            )
            if result.rowcount < BATCH:
                break


def downgrade() -> None:
    for column in ("consent_text_id", "language"):
        op.drop_column("signature_submissions", column)
    op.drop_column("signatures", "consent_text_id")
    op.drop_column("signatures", "language")
    op.drop_table("campaign_versions")
