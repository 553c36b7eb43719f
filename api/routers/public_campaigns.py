"""Public API: read a campaign with its counts, sign it, confirm a signature."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse

from api.chip_in import signature_confirmed_page
from api.deps import (
    CampaignToSign,
    ClientIp,
    PublicCampaign,
    PublicCounts,
    SessionDep,
    SettingsDep,
    SigningLimitsDep,
    SubmissionWriterDep,
    UserAgent,
)
from api.params import TokenPath
from api.routers.letters import link_failed_page
from api.schemas.campaigns import PublicCampaignView, PublicVersionView
from api.schemas.signatures import ConfirmationRequest, SignatureConfirmed, SignatureReceived
from campaign.campaigns.versions import consent_text_for, list_versions
from campaign.consents.service import get_consent_text
from campaign.errors import CampaignError
from campaign.signatures.flows import confirm_signature, submit_signature_batched
from campaign.signatures.models import SignatureChannel
from campaign.signatures.schemas import SignatureInput, SigningContext

router = APIRouter(tags=["public"])

SIGNING_PATH = "/api/v1/campaigns/{slug}/signatures"


@router.get("/api/v1/campaigns/{slug}")
async def read_public_campaign(
    campaign: PublicCampaign, session: SessionDep, public_counts: PublicCounts
) -> PublicCampaignView:
    counts = await public_counts.get(session, campaign.id)
    consent = await get_consent_text(session, campaign.consent_text_id)
    versions = [
        PublicVersionView.of(version, await consent_text_for(session, campaign, version.language))
        for version in await list_versions(session, campaign.id)
    ]
    return PublicCampaignView.of(campaign, counts, consent, versions)


@router.post(SIGNING_PATH, status_code=status.HTTP_202_ACCEPTED)
async def sign(
    data: SignatureInput,
    campaign: CampaignToSign,
    ip: ClientIp,
    user_agent: UserAgent,
    limits: SigningLimitsDep,
    writer: SubmissionWriterDep,
) -> SignatureReceived:
    """Most signing requests are answered by api/signing.py before they reach the
    framework, with the same rules and answers; this route is its schema, and answers
    what that path passes on (input to refuse, bodies it does not read itself)."""
    context = SigningContext(channel=SignatureChannel.API, ip_address=ip, user_agent=user_agent)
    await submit_signature_batched(writer, campaign, data, context, limits)
    return SignatureReceived()


@router.post("/api/v1/signatures/confirm")
async def confirm(data: ConfirmationRequest, session: SessionDep) -> SignatureConfirmed:
    _signature, campaign = await confirm_signature(session, data.token)
    return SignatureConfirmed(campaign_slug=campaign.slug, campaign_title=campaign.title)


@router.get("/confirm/{token}", response_class=HTMLResponse, include_in_schema=False)
async def confirm_from_email_link(
    token: TokenPath, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """The link in the confirmation email: confirms, then shows a page a person can read."""
    try:
        signature, campaign = await confirm_signature(session, token)
    except CampaignError as error:
        return link_failed_page(request, error)
    return await signature_confirmed_page(request, session, settings, signature, campaign)
