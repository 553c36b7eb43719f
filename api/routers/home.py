"""The server's front page: what it is (this organisation's campaigns, each linked to
its page) and the way in for staff. A fresh install answers `/` with this, not a 404."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.languages import request_language
from api.pages import render_page
from campaign.campaigns.models import CampaignState
from campaign.campaigns.service import list_campaigns

router = APIRouter(tags=["pages"], include_in_schema=False)

# Newest first; an organisation with more open campaigns links to them from its own site.
CAMPAIGNS_LISTED = 100


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    open_campaigns = await list_campaigns(
        session, state=CampaignState.PUBLISHED, limit=CAMPAIGNS_LISTED, offset=0
    )
    return render_page(
        request,
        "home.html",
        {"organisation": settings.email_from_name, "campaigns": open_campaigns},
        language=request_language(request),
    )
