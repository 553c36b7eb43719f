"""Staff API: a petition's thresholds, and the target's response to it (write, change,
publish)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Editor, SessionDep, SettingsDep, StaffCampaign
from api.schemas.responses import ResponseView, ThresholdsView
from campaign.campaigns.models import Campaign
from campaign.config import Settings
from campaign.metrics.counts import current_signature_counts, public_signature_count
from campaign.responses import service
from campaign.responses.models import PetitionResponse
from campaign.responses.schemas import ResponseInput, ThresholdsInput

router = APIRouter(prefix="/api/v1/staff/campaigns/{slug}", tags=["staff: responses"])


async def _thresholds_view(session: AsyncSession, campaign: Campaign) -> ThresholdsView:
    counts = await current_signature_counts(session, campaign.id)
    return ThresholdsView(
        confirmed=public_signature_count(counts),
        items=await service.thresholds_of(session, campaign),
    )


async def _response_view(
    session: AsyncSession, settings: Settings, campaign: Campaign, response: PetitionResponse
) -> ResponseView:
    numbers = await service.mailing_numbers_of(session, response)
    if numbers is not None:
        return ResponseView.of(response, numbers=numbers)
    key = settings.secret_key.get_secret_value()
    return ResponseView.of(
        response, signers_to_tell=await service.signers_to_tell(session, campaign, address_key=key)
    )


@router.get("/thresholds")
async def read_thresholds(campaign: StaffCampaign, session: SessionDep) -> ThresholdsView:
    return await _thresholds_view(session, campaign)


@router.put("/thresholds")
async def set_thresholds(
    data: ThresholdsInput, campaign: StaffCampaign, session: SessionDep, _staff: Editor
) -> ThresholdsView:
    """Replace the thresholds; staff who can edit are emailed when each is reached."""
    await service.set_thresholds(session, campaign, data)
    return await _thresholds_view(session, campaign)


@router.get("/response")
async def read_response(
    campaign: StaffCampaign, session: SessionDep, settings: SettingsDep
) -> ResponseView:
    response = await service.get_response(session, campaign)
    return await _response_view(session, settings, campaign, response)


@router.put("/response")
async def save_response(
    data: ResponseInput,
    campaign: StaffCampaign,
    session: SessionDep,
    settings: SettingsDep,
    staff: Editor,
) -> ResponseView:
    """Write the response as a draft, or change the draft."""
    response = await service.save_response(session, campaign, data, created_by=staff.user_id)
    return await _response_view(session, settings, campaign, response)


@router.post("/response/publish")
async def publish_response(
    campaign: StaffCampaign, session: SessionDep, settings: SettingsDep, staff: Editor
) -> ResponseView:
    """On the petition's page, and emailed once to every confirmed signer by a mailing
    the worker sends. Publishing again changes nothing."""
    response = await service.publish_response(session, campaign, published_by=staff.user_id)
    return await _response_view(session, settings, campaign, response)
