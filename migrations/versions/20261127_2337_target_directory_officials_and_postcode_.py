"""target directory: officials and postcode divisions

Revision ID: f72ba1304c1d
Revises: c91764f2ebcf
Created: 2026-11-27 23:37:05.783935
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "f72ba1304c1d"
down_revision: str | None = "c91764f2ebcf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "officials",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("division_id", sa.String(length=300), nullable=True),
        sa.Column("party", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officials")),
        sa.UniqueConstraint("external_id", name=op.f("uq_officials_external_id")),
    )
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officials_country_role"), ["country", "role"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_officials_division_id"), ["division_id"], unique=False)

    op.create_table(
        "postcode_divisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("postcode", sa.String(length=16), nullable=False),
        sa.Column("division_id", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postcode_divisions")),
        sa.UniqueConstraint(
            "country",
            "postcode",
            "division_id",
            name=op.f("uq_postcode_divisions_country_postcode_division_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("postcode_divisions")
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officials_division_id"))
        batch_op.drop_index(batch_op.f("ix_officials_country_role"))

    op.drop_table("officials")
