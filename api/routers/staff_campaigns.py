"""Staff API: create, read, change, publish and close campaigns, and their language
versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import Editor, SessionDep, StaffCampaign, Viewer
from api.params import LanguagePath, OffsetQuery
from api.schemas.campaigns import (
    CampaignPage,
    CampaignVersionList,
    CampaignVersionView,
    StaffCampaignView,
    StaffCounts,
)
from campaign.campaigns import flows, service, versions
from campaign.campaigns.models import CampaignState
from campaign.campaigns.schemas import (
    CampaignCreate,
    CampaignUpdate,
    CampaignVersionCreate,
    CampaignVersionUpdate,
)
from campaign.metrics.counts import current_signature_counts, signature_counts_by_version
from campaign.signatures.schemas import SignatureCounts

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


# -- Language versions ------------------------------------------------------------------


@router.get("/{slug}/versions")
async def list_versions(campaign: StaffCampaign, session: SessionDep) -> CampaignVersionList:
    counts = await signature_counts_by_version(session, campaign.id)
    found = await versions.list_versions(session, campaign.id)
    return CampaignVersionList(
        primary_language=campaign.language,
        primary_counts=StaffCounts(**vars(counts.get(campaign.language, SignatureCounts()))),
        items=[CampaignVersionView.of(v, counts.get(v.language, SignatureCounts())) for v in found],
    )


@router.post("/{slug}/versions", status_code=status.HTTP_201_CREATED)
async def add_version(
    data: CampaignVersionCreate, campaign: StaffCampaign, session: SessionDep, _staff: Editor
) -> CampaignVersionView:
    return CampaignVersionView.of(await versions.add_version(session, campaign, data))


@router.get("/{slug}/versions/{language}")
async def read_version(
    language: LanguagePath, campaign: StaffCampaign, session: SessionDep
) -> CampaignVersionView:
    version = await versions.get_version(session, campaign, language)
    counts = await signature_counts_by_version(session, campaign.id)
    return CampaignVersionView.of(version, counts.get(version.language, SignatureCounts()))


@router.patch("/{slug}/versions/{language}")
async def update_version(
    language: LanguagePath,
    data: CampaignVersionUpdate,
    campaign: StaffCampaign,
    session: SessionDep,
    _staff: Editor,
) -> CampaignVersionView:
    version = await versions.get_version(session, campaign, language)
    return CampaignVersionView.of(await versions.update_version(session, campaign, version, data))


@router.delete("/{slug}/versions/{language}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_version(
    language: LanguagePath, campaign: StaffCampaign, session: SessionDep, _staff: Editor
) -> None:
    version = await versions.get_version(session, campaign, language)
    await versions.remove_version(session, campaign, version)
