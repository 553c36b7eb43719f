"""Outbox messages are recorded as sending, with the attempt's id, before they are handed over.

Revision ID: e15b2c8a9f01
Revises: d04f3b8e5a46
Created: 2026-12-02 13:00:00.000000
"""

from collections.abc import Sequence

revision: str = "e15b2c8a9f01"
down_revision: str | None = "d04f3b8e5a46"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
