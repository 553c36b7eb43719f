"""Donations: what a campaign's form may offer, starting a Stripe Checkout, the page
Checkout returns to, and the staff side (setup, donations and their figures)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse

from api.deps import (
    ClientIp,
    Editor,
    PublicCampaign,
    SessionDep,
    SettingsDep,
    StaffCampaign,
    Viewer,
)
from api.donation_limits import ensure_donation_within_limits
from api.languages import request_language
from api.pages import render_page
from api.params import OffsetQuery
from api.schemas.donations import (
    CheckoutStarted,
    DonationOptions,
    DonationSetupView,
    DonationSummaryView,
    StaffDonationPage,
    StaffDonationView,
)
from campaign.donations import service
from campaign.donations.queries import donation_summary, list_donations
from campaign.donations.schemas import DonationInput, DonationSetupInput
from campaign.errors import NotFound

router = APIRouter(tags=["donations"])
staff_router = APIRouter(prefix="/api/v1/staff/campaigns", tags=["staff"])


@router.get("/api/v1/campaigns/{slug}/donations/options")
async def donation_options(
    campaign: PublicCampaign, request: Request, session: SessionDep
) -> DonationOptions:
    offer = await service.donation_offer(session, campaign, payments_on=payments_on(request))
    return DonationOptions.of(offer)


@router.post("/api/v1/campaigns/{slug}/donations", status_code=status.HTTP_201_CREATED)
async def start_donation(
    data: DonationInput,
    campaign: PublicCampaign,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
) -> CheckoutStarted:
    await ensure_donation_within_limits(request, ip, campaign.id)
    donation = await service.start_donation(
        session,
        campaign,
        data,
        request.app.state.stripe,
        service.checkout_links(settings, campaign),
    )
    assert donation.checkout_url is not None
    return CheckoutStarted(checkout_url=donation.checkout_url)


@router.get("/donations/thanks", response_class=HTMLResponse, include_in_schema=False)
async def thanks(request: Request) -> HTMLResponse:
    # The payment is counted when Stripe's webhook says so, not because someone came here.
    return render_page(request, "donation_thanks.html", {}, language=request_language(request))


# -- Staff ---------------------------------------------------------------------------------


@staff_router.get("/{slug}/donation-setup")
async def read_donation_setup(
    campaign: StaffCampaign, request: Request, session: SessionDep, _staff: Viewer
) -> DonationSetupView:
    state = await service.donation_state(session, campaign, payments_on=payments_on(request))
    if state.setup is None:
        raise NotFound("this campaign takes no donations yet", field="slug")
    return DonationSetupView.of(state)


@staff_router.put("/{slug}/donation-setup")
async def save_donation_setup(
    data: DonationSetupInput,
    campaign: StaffCampaign,
    request: Request,
    session: SessionDep,
    _staff: Editor,
) -> DonationSetupView:
    await service.save_setup(session, campaign, data)
    state = await service.donation_state(session, campaign, payments_on=payments_on(request))
    return DonationSetupView.of(state)


@staff_router.get("/{slug}/donations")
async def read_donations(
    campaign: StaffCampaign,
    session: SessionDep,
    _staff: Viewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: OffsetQuery = 0,
) -> StaffDonationPage:
    donations = await list_donations(session, campaign.id, limit=limit, offset=offset)
    return StaffDonationPage(
        summary=DonationSummaryView.of(await donation_summary(session, campaign.id)),
        donations=[StaffDonationView.of(d) for d in donations],
    )


def payments_on(request: Request) -> bool:
    """A payment provider is configured: the app made a Stripe gateway (api/app.py)."""
    return request.app.state.stripe is not None
