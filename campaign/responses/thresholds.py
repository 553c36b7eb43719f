"""The housekeeping job that tells staff when a petition reaches one of its thresholds.

It runs in the worker, not in the signing request (signing stays as fast as it was): each
pass counts the confirmed signatures of the petitions with a threshold not yet reached,
the way their public count is counted (campaign/metrics/counts.py), and for each one now
reached writes its `petition_thresholds_reached` row and the emails to staff in one
transaction. The row's unique key makes it once, ever: a second worker, or a pass run
again after a crash, inserts nothing and so emails nobody."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignKind
from campaign.db import insert_for
from campaign.metrics.counts import public_signature_count, signature_counts_by_campaign
from campaign.outbox.models import EmailKind
from campaign.outbox.service import enqueue_email
from campaign.responses.models import PetitionThreshold, ThresholdReached
from campaign.staff.models import Role, StaffUser


async def notify_reached_thresholds(
    session: AsyncSession, *, now: datetime, public_url: str
) -> int:
    """Tell the staff who can edit (active editors and admins) about every threshold
    reached since the last pass; returns how many thresholds were newly reached."""
    waiting = (
        await session.execute(
            select(PetitionThreshold.campaign_id, PetitionThreshold.threshold)
            .join(Campaign, Campaign.id == PetitionThreshold.campaign_id)
            .outerjoin(
                ThresholdReached,
                and_(
                    ThresholdReached.campaign_id == PetitionThreshold.campaign_id,
                    ThresholdReached.threshold == PetitionThreshold.threshold,
                ),
            )
            .where(Campaign.kind == CampaignKind.PETITION, ThresholdReached.id.is_(None))
            .order_by(PetitionThreshold.campaign_id, PetitionThreshold.threshold)
        )
    ).all()
    if not waiting:
        return 0
    counts = await signature_counts_by_campaign(
        session, [campaign_id for campaign_id, _ in waiting]
    )
    reached = 0
    staff: list[StaffUser] | None = None
    for campaign_id, threshold in waiting:
        confirmed = public_signature_count(counts[campaign_id])
        if confirmed < threshold or not await _record_reached(
            session, campaign_id, threshold, confirmed, now
        ):
            continue
        reached += 1
        if staff is None:
            staff = await _staff_who_can_edit(session)
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        for user in staff:
            await enqueue_email(
                session,
                EmailKind.THRESHOLD_REACHED,
                to_address=user.email,
                to_name=user.name,
                context={
                    "campaign_title": campaign.title,
                    "threshold": threshold,
                    "signatures": confirmed,
                    "staff_url": f"{public_url}/staff/campaigns/{campaign.slug}/response",
                },
                campaign_id=campaign_id,
            )
    return reached


async def _record_reached(
    session: AsyncSession, campaign_id: int, threshold: int, confirmed: int, now: datetime
) -> bool:
    """The once-ever row; False if another pass wrote it first (on PostgreSQL the insert
    waits for that pass's transaction, then finds its row)."""
    result = await session.execute(
        insert_for(session, ThresholdReached.__table__)
        .values(campaign_id=campaign_id, threshold=threshold, signatures=confirmed, reached_at=now)
        .on_conflict_do_nothing(index_elements=["campaign_id", "threshold"])
        .returning(ThresholdReached.__table__.c.id)
    )
    return result.scalar_one_or_none() is not None


async def _staff_who_can_edit(session: AsyncSession) -> list[StaffUser]:
    result = await session.scalars(
        select(StaffUser)
        .where(
            StaffUser.role.in_([Role.EDITOR, Role.ADMIN]),
            StaffUser.deactivated_at.is_(None),
            StaffUser.password_hash.is_not(None),
        )
        .order_by(StaffUser.id)
    )
    return list(result)
