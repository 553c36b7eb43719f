"""Staff users may be invited (no password yet) or deactivated; emailed links set a
password once (invitations and resets).

Going down, nobody who could not log in before may log in after: invited and
deactivated users get a password hash that matches nothing, and a deactivated user's
API tokens are revoked, since the older schema cannot tell that they were refused.

Revision ID: a71c0e5d2b13
Revises: fac17cb7cb58
Created: 2026-12-02 01:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import campaign.db

revision: str = "a71c0e5d2b13"
down_revision: str | None = "fac17cb7cb58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Not a PHC string, so argon2 refuses it as a hash: no password matches it.
UNUSABLE_PASSWORD_HASH = "!"  # noqa: S105


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deactivated_at", campaign.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("password_hash", existing_type=sa.String(length=200), nullable=True)

    op.create_table(
        "staff_password_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("created_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", campaign.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('invitation', 'password_reset')",
            name=op.f("ck_staff_password_links_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_password_links_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_password_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_password_links_token_hash")),
    )
    with op.batch_alter_table("staff_password_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_password_links_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_password_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_password_links_user_id"))
    op.drop_table("staff_password_links")

    users = sa.table(
        "staff_users",
        sa.column("id", sa.BigInteger),
        sa.column("password_hash", sa.String),
        sa.column("deactivated_at", campaign.db.UTCDateTime(timezone=True)),
    )
    tokens = sa.table(
        "api_tokens",
        sa.column("user_id", sa.BigInteger),
        sa.column("revoked_at", campaign.db.UTCDateTime(timezone=True)),
    )
    deactivated = sa.select(users.c.id).where(users.c.deactivated_at.is_not(None))
    op.execute(
        tokens.update()
        .where(tokens.c.user_id.in_(deactivated), tokens.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    op.execute(
        users.update()
        .where(sa.or_(users.c.password_hash.is_(None), users.c.deactivated_at.is_not(None)))
        .values(password_hash=UNUSABLE_PASSWORD_HASH)
    )
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_column("deactivated_at")
