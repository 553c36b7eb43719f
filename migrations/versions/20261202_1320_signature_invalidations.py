"""Signatures invalidated in bulk by criteria, as jobs with a log.

Revision ID: a37d4e0c1b23
Revises: f26c3d9b0a12
Created: 2026-12-02 13:00:00.000000
"""

from collections.abc import Sequence

revision: str = "a37d4e0c1b23"
down_revision: str | None = "f26c3d9b0a12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
