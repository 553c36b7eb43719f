"""A campaign on the dashboard: its numbers and charts, publishing and closing."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.dashboard import numbers
from api.dashboard.rendering import may_edit, page, refusable, see_other
from api.deps import EditorForm, SessionDep, StaffLogin
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import CampaignState
from campaign.errors import CampaignError
from campaign.letters import service as letters
from campaign.staff.sessions import ActiveSession

router = APIRouter()


@router.get("/campaigns/{slug}")
async def campaign_page(
    slug: str, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    return await _campaign_page(request, session, active, slug)


@router.post("/campaigns/{slug}/publish")
async def publish(slug: str, request: Request, session: SessionDep, active: EditorForm) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    async with refusable(session) as refused:
        await letters.ensure_ready_to_publish(session, campaign)
        await campaigns.publish_campaign(session, campaign)
    if refused.error:
        return await _campaign_page(request, session, active, slug, refused.error)
    return _back_to(slug)


@router.post("/campaigns/{slug}/close")
async def close(slug: str, request: Request, session: SessionDep, active: EditorForm) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    async with refusable(session) as refused:
        await campaigns.close_campaign(session, campaign)
    if refused.error:
        return await _campaign_page(request, session, active, slug, refused.error)
    return _back_to(slug)


async def _campaign_page(
    request: Request,
    session: SessionDep,
    active: ActiveSession,
    slug: str,
    error: CampaignError | None = None,
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    state = CampaignState(campaign.state)
    return page(
        request,
        "staff/campaign.html",
        status_code=error.status if error else status.HTTP_200_OK,
        active=active,
        campaign=campaign,
        error=error.detail if error else None,
        may_edit=may_edit(active),
        may_publish=state == CampaignState.DRAFT,
        may_close=state != CampaignState.CLOSED,
        **await numbers.campaign_numbers(request, session, campaign),
    )


def _back_to(slug: str) -> RedirectResponse:
    return see_other(f"/staff/campaigns/{slug}")
