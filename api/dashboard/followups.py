"""A letter campaign's replies on the dashboard: per official, how many letters reached
them, how many of those the activists were asked about and answered, how many got a
reply, and how long replies took. Read-only, for every logged-in role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.dashboard.rendering import page
from api.deps import SessionDep, SettingsDep, StaffLogin
from api.params import SlugPath
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import CampaignKind
from campaign.metrics.responsiveness import campaign_responsiveness

router = APIRouter()


@router.get("/campaigns/{slug}/replies")
async def replies_page(
    slug: SlugPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    active: StaffLogin,
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    figures = None
    if campaign.kind == CampaignKind.LETTER:
        figures = await campaign_responsiveness(session, campaign.id)
    return page(
        request,
        "staff/campaign_replies.html",
        active=active,
        campaign=campaign,
        figures=figures,
        followup_days=settings.letter_followup_days,
    )
