"""Signatures are first submissions, resolved by the worker.

Revision ID: f26c3d9b0a12
Revises: e15b2c8a9f01
Created: 2026-12-02 13:00:00.000000
"""

from collections.abc import Sequence

revision: str = "f26c3d9b0a12"
down_revision: str | None = "e15b2c8a9f01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
