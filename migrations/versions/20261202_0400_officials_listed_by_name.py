"""Officials are listed by name in the directory's pages, a page at a time by key
(name, id): an index in that order makes the hundredth page cost what the first does.

Revision ID: d04f3b8e5a46
Revises: c93e2a7f4d35
Created: 2026-12-02 04:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d04f3b8e5a46"
down_revision: str | None = "c93e2a7f4d35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_officials_name_id"), "officials", ["name", "id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_officials_name_id"), table_name="officials")
