"""Read-only figures about the outbox for monitoring, each through one of the partial
indexes the worker claims by (so they read only what is in flight, never the sent)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.outbox.models import OutboxMessage, OutboxStatus, Priority

IN_FLIGHT = (OutboxStatus.PENDING, OutboxStatus.SENDING)


async def outbox_depth(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Messages waiting (`pending`, due or not) and being handed over (`sending`), by
    status and kind. One statement per status, so each reads its own partial index."""
    depth: dict[tuple[str, str], int] = {}
    for status in IN_FLIGHT:
        rows = await session.execute(
            select(OutboxMessage.kind, func.count())
            .where(OutboxMessage.status == status)
            .group_by(OutboxMessage.kind)
        )
        for kind, count in rows:
            depth[(status.value, kind)] = int(count)
    return depth


async def oldest_due(session: AsyncSession, now: datetime) -> dict[str, datetime | None]:
    """Per lane, since when its longest-waiting due message has been due (None: nothing
    due). The first entry of the due index within the lane: one index probe each."""
    oldest: dict[str, datetime | None] = {}
    for lane in Priority:
        oldest[lane.name.lower()] = await session.scalar(
            select(func.min(OutboxMessage.available_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.priority == int(lane),
                OutboxMessage.available_at <= now,
            )
        )
    return oldest
