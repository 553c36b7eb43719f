"""Signatures: reading them back and counting them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.signatures.models import Signature
from campaign.signatures.schemas import SignatureCounts


async def count_signatures(session: AsyncSession, campaign_id: int) -> SignatureCounts:
    """Counts by status, aggregated from the signature rows themselves: nothing
    is incremented per signature, so signers never queue on one hot row."""
    result = await session.execute(
        select(Signature.status, func.count())
        .where(Signature.campaign_id == campaign_id)
        .group_by(Signature.status)
    )
    return SignatureCounts(**{status: count for status, count in result.all()})
