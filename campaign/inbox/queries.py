"""Reading back the events recorded for messages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.inbox.models import EmailEvent


async def events_of(session: AsyncSession, message_id: int) -> list[EmailEvent]:
    result = await session.execute(
        select(EmailEvent)
        .where(EmailEvent.outbox_message_id == message_id)
        .order_by(EmailEvent.occurred_at, EmailEvent.id)
    )
    return list(result.scalars())
