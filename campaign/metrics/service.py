"""Page views: the one write the metrics take on the public path."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.metrics.models import PageView
from campaign.metrics.rollup import source_label
from campaign.signatures.schemas import Tracking


async def record_page_view(session: AsyncSession, campaign_id: int, tracking: Tracking) -> None:
    """One INSERT, no read and no counter: a view costs the same however many came
    before. Only the source is kept: no address, no referrer path, nothing per person."""
    await session.execute(
        insert(PageView).values(
            campaign_id=campaign_id,
            created_at=utcnow(),
            source=source_label(tracking.source, tracking.referrer),
        )
    )
