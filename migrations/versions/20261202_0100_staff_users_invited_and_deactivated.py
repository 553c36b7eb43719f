"""Staff users: invitations and password resets by emailed link, and deactivation.

Revision ID: a71c0e5d2b13
Revises: fac17cb7cb58
Created: 2026-12-02 01:00:00.000000
"""

from collections.abc import Sequence

revision: str = "a71c0e5d2b13"
down_revision: str | None = "fac17cb7cb58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
