"""Request ids: the signing request's id on its submission, and the causing request's
id on each outbox message, so the worker's log lines about an email name the request.

Revision ID: 7d4f2a8c6e15
Revises: abe91f4bab15
Created: 2026-12-08 10:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d4f2a8c6e15"
down_revision: str | None = "abe91f4bab15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("signature_submissions", "outbox_messages")


def upgrade() -> None:
    # Plain ALTER TABLE on SQLite too (a nullable column is added in place); a copy of
    # the table, as batch mode makes, would lose its triggers.
    for table in TABLES:
        op.add_column(table, sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "request_id")
