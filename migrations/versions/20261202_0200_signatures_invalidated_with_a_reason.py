"""Signatures marked fraudulent or invalid by staff keep who, when and why.

Revision ID: b82d1f6e3c24
Revises: a71c0e5d2b13
Created: 2026-12-02 02:00:00.000000
"""

from collections.abc import Sequence

revision: str = "b82d1f6e3c24"
down_revision: str | None = "a71c0e5d2b13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
