"""Letters to officials: the public lookup, writing and confirming, an activist's private
view of their letter, and the staff side (setup, letters and their delivery)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict

from api.deps import (
    ClientIp,
    Editor,
    PublicCampaign,
    SessionDep,
    SettingsDep,
    SigningLimitsDep,
    StaffCampaign,
    Viewer,
)
from api.languages import page_language, page_messages, request_language
from api.page_forms import translated_detail
from api.pages import render_page
from api.params import OffsetQuery, TokenPath
from api.schemas.letters import (
    LetterConfirmationRequest,
    LetterConfirmed,
    LetterReceived,
    LetterSetupView,
    LetterTotalsView,
    OfficialsFound,
    OwnLetterView,
    PublicOfficial,
    StaffLetterPage,
    StaffLetterView,
)
from campaign.campaigns.models import Campaign
from campaign.errors import CampaignError
from campaign.followups.models import ANSWER_WORDS
from campaign.followups.service import answers_of_letter
from campaign.i18n import gettext_noop as _
from campaign.letters import service
from campaign.letters.queries import deliveries_of, sent_copy
from campaign.letters.schemas import LetterInput, LetterSetupInput
from campaign.letters.service import WritingContext
from campaign.metrics.letters import letter_numbers
from campaign.signatures.models import SignatureChannel
from campaign.types import CountryCode, Postcode

router = APIRouter(tags=["letters"])
staff_router = APIRouter(prefix="/api/v1/staff/campaigns", tags=["staff"])

# Translators: where a letter to one official has got to, on the activist's own page.
DELIVERY_STATES = {
    "awaiting_confirmation": _("awaiting confirmation"),
    "scheduled": _("scheduled"),
    "in_digest": _("in digest"),
    "digested": _("digested"),
    "held": _("held"),
    "pending": _("pending"),
    "sending": _("sending"),
    "queued": _("queued"),
    "sent": _("sent"),
    "delivered": _("delivered"),
    "deferred": _("deferred"),
    "bounced": _("bounced"),
    "dropped": _("dropped"),
    "failed": _("failed"),
}


class OfficialsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: CountryCode
    postcode: Postcode | None = None


@router.get("/api/v1/campaigns/{slug}/officials")
async def find_officials(
    campaign: PublicCampaign,
    query: Annotated[OfficialsQuery, Query()],
    session: SessionDep,
) -> OfficialsFound:
    service.ensure_takes_letters(campaign)
    setup = await service.get_setup(session, campaign.id)
    officials = await service.find_officials(
        session, setup, country=query.country, postcode=query.postcode
    )
    return OfficialsFound(officials=[PublicOfficial.of(o) for o in officials])


@router.post("/api/v1/campaigns/{slug}/letters", status_code=status.HTTP_202_ACCEPTED)
async def write_letter(
    data: LetterInput,
    campaign: PublicCampaign,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
    limits: SigningLimitsDep,
) -> LetterReceived:
    async with limits.for_letter(ip, campaign.id) as over_limit:
        context = WritingContext(
            ip_address=ip,
            over_rate_limit=over_limit,
            organisation=settings.email_from_name,
            channel=SignatureChannel.API,
        )
        await service.write_letter(session, campaign, data, context)
    return LetterReceived()


@router.post("/api/v1/letters/confirm")
async def confirm_letter(
    data: LetterConfirmationRequest, session: SessionDep, settings: SettingsDep
) -> LetterConfirmed:
    _letter, campaign = await service.confirm_letter(
        session, data.token, organisation=settings.email_from_name
    )
    return LetterConfirmed(campaign_slug=campaign.slug, campaign_title=campaign.title)


@router.get("/letters/confirm/{token}", response_class=HTMLResponse, include_in_schema=False)
async def confirm_letter_from_email_link(
    token: TokenPath, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    try:
        _letter, campaign = await service.confirm_letter(
            session, token, organisation=settings.email_from_name
        )
    except CampaignError as error:
        return link_failed_page(request, error)
    return render_page(
        request,
        "letter_confirmed.html",
        {"campaign": campaign},
        language=page_language(request, campaign),
    )


@router.get("/api/v1/letters/{token}")
async def read_own_letter(token: TokenPath, session: SessionDep) -> OwnLetterView:
    letter = await service.letter_by_view_token(session, token)
    deliveries = await deliveries_of(session, [letter.id])
    return OwnLetterView.of(
        letter,
        deliveries.get(letter.id, []),
        await sent_copy(session, letter.id),
        await answers_of_letter(session, letter.id),
    )


@router.get("/letters/{token}", response_class=HTMLResponse, include_in_schema=False)
async def own_letter_page(token: TokenPath, request: Request, session: SessionDep) -> HTMLResponse:
    try:
        letter = await service.letter_by_view_token(session, token)
    except CampaignError as error:
        return link_failed_page(request, error)
    campaign = await session.get_one(Campaign, letter.campaign_id)
    language = page_language(request, campaign)
    deliveries = await deliveries_of(session, [letter.id])
    view = OwnLetterView.of(
        letter,
        deliveries.get(letter.id, []),
        await sent_copy(session, letter.id),
        await answers_of_letter(session, letter.id),
    )
    context = own_letter_context(view, language)
    return render_page(request, "own_letter.html", context, language=language)


def own_letter_context(view: OwnLetterView, language: str) -> dict[str, Any]:
    """The activist's own letter, its deliveries' states and answers worded in the page's
    language."""
    messages = page_messages(language)
    return {
        "letter": view,
        "answer_words": {answer: messages.gettext(word) for answer, word in ANSWER_WORDS.items()},
        "states": {state: messages.gettext(word) for state, word in DELIVERY_STATES.items()},
    }


def link_failed_page(request: Request, error: CampaignError) -> HTMLResponse:
    """An email's link that did not work: the link says nothing of its campaign's
    language, so the page speaks the browser's."""
    language = request_language(request)
    return render_page(
        request,
        "confirmation_failed.html",
        {"detail": translated_detail(error.detail, language)},
        language=language,
        status_code=error.status,
    )


# -- Staff ---------------------------------------------------------------------------------


@staff_router.get("/{slug}/letter")
async def read_letter_setup(
    campaign: StaffCampaign, session: SessionDep, _staff: Viewer
) -> LetterSetupView:
    return LetterSetupView.of(await service.get_setup(session, campaign.id))


@staff_router.put("/{slug}/letter")
async def save_letter_setup(
    data: LetterSetupInput, campaign: StaffCampaign, session: SessionDep, _staff: Editor
) -> LetterSetupView:
    return LetterSetupView.of(await service.save_setup(session, campaign, data))


@staff_router.get("/{slug}/letters")
async def list_letters(
    campaign: StaffCampaign,
    session: SessionDep,
    _staff: Viewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: OffsetQuery = 0,
) -> StaffLetterPage:
    letters = await service.list_letters(session, campaign.id, limit=limit, offset=offset)
    deliveries = await deliveries_of(session, [letter.id for letter in letters])
    return StaffLetterPage(
        totals=LetterTotalsView.of(await letter_numbers(session, campaign.id)),
        letters=[StaffLetterView.of(letter, deliveries.get(letter.id, [])) for letter in letters],
    )
