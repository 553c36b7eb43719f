"""Staff API: create, read, change, publish and close campaigns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import Editor, SessionDep, StaffCampaign, Viewer
from api.params import OffsetQuery
from api.schemas.campaigns import CampaignPage, StaffCampaignView
from campaign.campaigns import flows, service
from campaign.campaigns.models import CampaignState
from campaign.campaigns.schemas import CampaignCreate, CampaignUpdate
from campaign.metrics.counts import current_signature_counts

router = APIRouter(prefix="/api/v1/staff/campaigns", tags=["staff: campaigns"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_campaign(
    data: CampaignCreate, session: SessionDep, _staff: Editor
) -> StaffCampaignView:
    campaign = await service.create_campaign(session, data)
    return StaffCampaignView.of(campaign)


@router.get("")
async def list_campaigns(
    session: SessionDep,
    _staff: Viewer,
    state: CampaignState | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: OffsetQuery = 0,
) -> CampaignPage:
    campaigns = await service.list_campaigns(session, state=state, limit=limit, offset=offset)
    return CampaignPage(
        items=[StaffCampaignView.of(c) for c in campaigns], limit=limit, offset=offset
    )


@router.get("/{slug}")
async def read_campaign(campaign: StaffCampaign, session: SessionDep) -> StaffCampaignView:
    return StaffCampaignView.of(campaign, await current_signature_counts(session, campaign.id))


@router.patch("/{slug}")
async def update_campaign(
    data: CampaignUpdate, campaign: StaffCampaign, session: SessionDep, _staff: Editor
) -> StaffCampaignView:
    campaign = await service.update_campaign(session, campaign, data)
    return StaffCampaignView.of(campaign)


@router.post("/{slug}/publish")
async def publish_campaign(
    campaign: StaffCampaign, session: SessionDep, _staff: Editor
) -> StaffCampaignView:
    return StaffCampaignView.of(await flows.publish(session, campaign))


@router.post("/{slug}/close")
async def close_campaign(
    campaign: StaffCampaign, session: SessionDep, _staff: Editor
) -> StaffCampaignView:
    return StaffCampaignView.of(await flows.close(session, campaign))
