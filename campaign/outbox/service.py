"""Writing to the outbox. Called inside the transaction of the action that causes the email."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.outbox.models import EmailKind, OutboxMessage, OutboxStatus


async def enqueue_email(
    session: AsyncSession,
    kind: EmailKind,
    *,
    to_address: str,
    to_name: str | None,
    context: dict[str, Any],
    campaign_id: int | None = None,
) -> None:
    now = utcnow()
    await session.execute(
        insert(OutboxMessage).values(
            kind=kind.value,
            to_address=to_address,
            to_name=to_name,
            context=context,
            campaign_id=campaign_id,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            created_at=now,
            available_at=now,
        )
    )
