"""Calls to action may be `possible`: the extractor was unsure, and staff review them apart.

Going down, possible calls become proposed ones, which is what they were stored as
before: nothing is lost but the extractor's doubt.

Revision ID: fac17cb7cb58
Revises: ebd4217b0984
Created: 2026-12-01 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fac17cb7cb58"
down_revision: str | None = "ebd4217b0984"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CHECK = "ck_calls_to_action_status"
WITH_POSSIBLE = "status IN ('proposed', 'possible', 'accepted', 'rejected', 'merged')"
WITHOUT_POSSIBLE = "status IN ('proposed', 'accepted', 'rejected', 'merged')"


def upgrade() -> None:
    _replace_status_check(WITH_POSSIBLE)


def downgrade() -> None:
    calls = sa.table("calls_to_action", sa.column("status", sa.String))
    op.execute(calls.update().where(calls.c.status == "possible").values(status="proposed"))
    _replace_status_check(WITHOUT_POSSIBLE)


def _replace_status_check(condition: str) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("calls_to_action", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(STATUS_CHECK), sa.text(condition))
