"""The OSDI API's needs: a modified time on people, signatures, letters and donations
(what sync tools filter by), people's custom fields, tags and taggings, and the page
marks that let numbered pages be read by key.

Existing rows get their latest known change as their modified time.

Revision ID: c69f2a3e4d56
Revises: b58e1f2d3c45
Created: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "c69f2a3e4d56"
down_revision: str | None = "b58e1f2d3c45"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The latest time each table already records a change at.
LAST_CHANGE = {
    "people": "coalesce(email_confirmed_at, created_at)",
    "signatures": "coalesce(reviewed_at, confirmed_at, created_at)",
    "letters": "coalesce(confirmed_at, created_at)",
    "donations": "coalesce(ended_at, completed_at, created_at)",
}


def upgrade() -> None:
    for table, last_change in LAST_CHANGE.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("modified_at", campaign.db.UTCDateTime(timezone=True), nullable=True)
            )
        op.execute(f"UPDATE {table} SET modified_at = {last_change}")  # noqa: S608 (constants)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("modified_at", nullable=False)

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("custom_fields", sa.JSON(), nullable=True))
    op.execute("UPDATE people SET custom_fields = '{}'")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.alter_column("custom_fields", nullable=False)
        batch_op.create_index(
            batch_op.f("ix_people_modified_at_id"), ["modified_at", "id"], unique=False
        )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signatures_person_id_id"), ["person_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_signatures_campaign_id_modified_at_id"),
            ["campaign_id", "modified_at", "id"],
            unique=False,
        )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_letters_person_id_id"), ["person_id", "id"], unique=False
        )
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_donations_person_id_id"), ["person_id", "id"], unique=False
        )

    op.create_table(
        "tags",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_normalised", sa.String(length=200), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name_normalised", name=op.f("uq_tags_name_normalised")),
    )
    op.create_table(
        "taggings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("tag_id", BIG_ID, nullable=False),
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_taggings_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_taggings_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taggings")),
        sa.UniqueConstraint("tag_id", "person_id", name=op.f("uq_taggings_tag_id_person_id")),
    )
    with op.batch_alter_table("taggings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_taggings_person_id_id"), ["person_id", "id"], unique=False
        )
    op.create_table(
        "osdi_page_marks",
        sa.Column("listing", sa.String(length=64), nullable=False),
        sa.Column("per_page", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("after_time", campaign.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("after_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("listing", "per_page", "page", name=op.f("pk_osdi_page_marks")),
    )


def downgrade() -> None:
    op.drop_table("osdi_page_marks")
    with op.batch_alter_table("taggings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taggings_person_id_id"))
    op.drop_table("taggings")
    op.drop_table("tags")
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donations_person_id_id"))
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letters_person_id_id"))
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatures_campaign_id_modified_at_id"))
        batch_op.drop_index(batch_op.f("ix_signatures_person_id_id"))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_modified_at_id"))
        batch_op.drop_column("custom_fields")
    for table in LAST_CHANGE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("modified_at")
