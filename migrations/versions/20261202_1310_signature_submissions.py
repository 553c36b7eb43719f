"""Signatures are first submissions, resolved by the worker.

A signing request writes one `signature_submissions` row whatever its address, so that
neither its answer nor its timing says whether the address has signed before; the
worker turns each into a signature (new, repeat, held) and deletes it. Signatures (and
submissions) keep the signer's User-Agent, cut to 300 characters.

Going down, submissions not yet resolved are lost with their table.

Revision ID: f26c3d9b0a12
Revises: e15b2c8a9f01
Created: 2026-12-02 13:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "f26c3d9b0a12"
down_revision: str | None = "e15b2c8a9f01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "signature_submissions",
        sa.Column("id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_normalised", sa.String(length=320), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("postcode", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("email_updates", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("referrer", sa.String(length=500), nullable=True),
        sa.Column("utm_source", sa.String(length=200), nullable=True),
        sa.Column("utm_medium", sa.String(length=200), nullable=True),
        sa.Column("utm_campaign", sa.String(length=200), nullable=True),
        sa.Column("over_rate_limit", sa.Boolean(), nullable=False),
        sa.Column("honeypot_filled", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_signature_submissions_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_submissions")),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_agent", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_column("user_agent")
    op.drop_table("signature_submissions")
