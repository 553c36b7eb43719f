"""A petition's Response tab on the dashboard: its thresholds (and when each was
reached), and the target's response: written and changed as a draft with a preview,
then published after a page that says what publishing does."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.rendering import address_key, may_edit, page, refusable, see_other
from api.deps import EditorForm, SessionDep, StaffLogin
from api.page_forms import FormState, read_form, refused_state, worded_field_errors
from api.params import SlugPath
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.i18n import translations
from campaign.metrics.counts import current_signature_counts, public_signature_count
from campaign.responses import service
from campaign.responses.models import PetitionResponse, ResponseStatus
from campaign.responses.schemas import ResponseInput, ThresholdsInput
from campaign.staff.sessions import ActiveSession

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

_WHEN_EMPTY = {
    "body_markdown": _("Write what the target said."),
    "responded_on": _("Enter the date of the response."),
    "thresholds": _("Enter the thresholds, or leave it empty for none."),
}
_LINK = _("Enter a link that starts with https:// or http://, or leave it empty.")
_DATE = _("Enter the date of the response, such as 2026-12-04.")
_NUMBERS = _("Enter whole numbers separated by spaces, such as 10,000 100,000.")
# Thousands separators people type inside a number: "10,000" or "10_000".
_SEPARATORS = re.compile(r"[,_\u00a0\u202f]")
_NOTICES = {
    "thresholds": _("The thresholds are saved."),
    "saved": _("The draft is saved."),
    "published": _("Published: it is on the petition's page, and its email is going out."),
}


def _base(slug: str) -> str:
    return f"/staff/campaigns/{slug}/response"


@router.get("/campaigns/{slug}/response")
async def response_page(
    slug: SlugPath,
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    done: str | None = None,
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    response = await service.response_of(session, campaign)
    return await _page(
        request,
        session,
        active,
        campaign,
        response,
        thresholds_form=FormState(values={"thresholds": await _thresholds_text(session, campaign)}),
        response_form=FormState(values=_values_of(response)),
        notice=_NOTICES.get(done or ""),
    )


@router.post("/campaigns/{slug}/response/thresholds")
async def save_thresholds(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    values = await read_form(request)
    data = _thresholds(values)
    if isinstance(data, FormState):
        return await _refused(request, session, active, campaign, thresholds_form=data)
    async with refusable(session) as refused:
        await service.set_thresholds(session, campaign, data)
    if refused.error:
        state = refused_state(values, refused.error)
        return await _refused(
            request, session, active, campaign, refused.status_code, thresholds_form=state
        )
    return see_other(f"{_base(slug)}?done=thresholds")


@router.post("/campaigns/{slug}/response")
async def save_response(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    values = await read_form(request)
    data = _response(values)
    if isinstance(data, FormState):
        return await _refused(request, session, active, campaign, response_form=data)
    async with refusable(session) as refused:
        await service.save_response(session, campaign, data, created_by=active.user.id)
    if refused.error:
        state = refused_state(values, refused.error)
        return await _refused(
            request, session, active, campaign, refused.status_code, response_form=state
        )
    return see_other(f"{_base(slug)}?done=saved")


@router.get("/campaigns/{slug}/response/publish")
async def publish_page(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    return await _publish_page(request, session, active, campaign)


@router.post("/campaigns/{slug}/response/publish")
async def publish_response(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    async with refusable(session) as refused:
        await service.publish_response(session, campaign, published_by=active.user.id)
    if refused.error:
        return await _publish_page(
            request, session, active, campaign, str(refused.error.detail), refused.status_code
        )
    return see_other(f"{_base(slug)}?done=published")


def _thresholds(values: dict[str, str]) -> ThresholdsInput | FormState:
    words = _SEPARATORS.sub("", values.get("thresholds", "")).split()
    if not all(word.isascii() and word.lstrip("-").isdigit() for word in words):
        return FormState(values=values, errors={"thresholds": _NUMBERS})
    try:
        return ThresholdsInput(thresholds=[int(word) for word in words])
    except ValidationError as invalid:
        return FormState(values=values, errors=worded_field_errors(invalid, _WHEN_EMPTY))


def _response(values: dict[str, str]) -> ResponseInput | FormState:
    fields: dict[str, Any] = {
        "body_markdown": values.get("body_markdown", ""),
        "responded_on": values.get("responded_on", "").strip() or None,
        "link": values.get("link", "").strip() or None,
    }
    try:
        return ResponseInput.model_validate(fields)
    except ValidationError as invalid:
        errors = worded_field_errors(invalid, _WHEN_EMPTY)
        if "link" in errors:
            errors["link"] = _LINK
        if "responded_on" in errors and fields["responded_on"] is not None:
            errors["responded_on"] = _DATE
        return FormState(values=values, errors=errors)


async def _thresholds_text(session: AsyncSession, campaign: Campaign) -> str:
    states = await service.thresholds_of(session, campaign)
    return " ".join(f"{state.threshold:,}" for state in states)


def _values_of(response: PetitionResponse | None) -> dict[str, str]:
    if response is None:
        return {}
    return {
        "body_markdown": response.body_markdown,
        "responded_on": response.responded_on.isoformat(),
        "link": response.link or "",
    }


async def _refused(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    status_code: int = status.HTTP_422_UNPROCESSABLE_CONTENT,
    *,
    thresholds_form: FormState | None = None,
    response_form: FormState | None = None,
) -> HTMLResponse:
    """The page again, with the form that was sent as it was typed and its errors."""
    response = await service.response_of(session, campaign)
    if thresholds_form is None:
        thresholds_form = FormState(
            values={"thresholds": await _thresholds_text(session, campaign)}
        )
    if response_form is None:
        response_form = FormState(values=_values_of(response))
    return await _page(
        request,
        session,
        active,
        campaign,
        response,
        thresholds_form=thresholds_form,
        response_form=response_form,
        status_code=status_code,
    )


async def _page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    response: PetitionResponse | None,
    *,
    thresholds_form: FormState,
    response_form: FormState,
    notice: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    counts = await current_signature_counts(session, campaign.id)
    context: dict[str, Any] = {
        "campaign": campaign,
        "response": response,
        "thresholds": await service.thresholds_of(session, campaign),
        "confirmed": public_signature_count(counts),
        "thresholds_form": thresholds_form,
        "form": response_form,
        "notice": notice,
        "may_edit": may_edit(active),
        "is_petition": campaign.kind == CampaignKind.PETITION,
        "editable": response is None or response.status == ResponseStatus.DRAFT,
    }
    if response is not None:
        context["numbers"] = await service.mailing_numbers_of(session, response)
    return page(
        request, "staff/campaign_response.html", status_code=status_code, active=active, **context
    )


async def _publish_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    error: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    response = await service.response_of(session, campaign)
    return page(
        request,
        "staff/campaign_response_publish.html",
        status_code=status_code,
        active=active,
        campaign=campaign,
        response=response,
        error=error,
        may_edit=may_edit(active),
        signers_to_tell=await service.signers_to_tell(
            session, campaign, address_key=address_key(request)
        ),
    )
