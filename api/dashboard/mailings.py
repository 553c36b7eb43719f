"""A campaign's mailings on the dashboard: write one (with a preview of the email),
see how many it would reach, send a test copy to yourself, send it now or schedule it
after a page that says what will happen, cancel it, and read its numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.rendering import address_key, may_edit, page, refusable, see_other
from api.deps import EditorForm, SessionDep, StaffLogin
from api.page_forms import FormState, read_form, refused_state, worded_field_errors
from api.params import RowIdPath, SlugPath
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign
from campaign.errors import InvalidInput
from campaign.i18n import translations
from campaign.mailings import service
from campaign.mailings.models import Audience, Mailing
from campaign.mailings.schemas import MailingInput, MailingSend
from campaign.staff.sessions import ActiveSession
from campaign.tags.service import all_tags

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

_WHEN_EMPTY = {
    "subject": _("Enter the subject line."),
    "body_markdown": _("Write what the email says."),
    "audience": _("Choose who it goes to."),
}
_BAD_FORMAT = {
    "country": _("Enter a two-letter country code, such as GB, or leave it empty."),
    "subject": _("Write the subject on one line."),
    "sender_name": _("Write the sender's name on one line."),
}


def _base(slug: str) -> str:
    return f"/staff/campaigns/{slug}/mailings"


@router.get("/campaigns/{slug}/mailings")
async def mailing_list(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    return page(
        request,
        "staff/mailings.html",
        active=active,
        campaign=campaign,
        mailings=await service.list_mailings(session, campaign),
        may_edit=may_edit(active),
    )


@router.get("/campaigns/{slug}/mailings/new")
async def new_mailing_page(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    form = FormState(values={"audience": Audience.SIGNERS.value})
    return await _form_page(request, session, active, campaign, None, form)


@router.post("/campaigns/{slug}/mailings/new")
async def create_mailing(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    values = await read_form(request)
    data = _validated(values)
    if isinstance(data, FormState):
        return await _form_page(request, session, active, campaign, None, data, status_code=422)
    async with refusable(session) as refused:
        mailing = await service.create_mailing(session, campaign, data, created_by=active.user.id)
    if refused.error:
        state = refused_state(values, refused.error)
        return await _form_page(
            request, session, active, campaign, None, state, status_code=refused.status_code
        )
    return see_other(f"{_base(slug)}/{mailing.id}?saved=1")


@router.get("/campaigns/{slug}/mailings/{mailing_id}")
async def mailing_page(
    slug: SlugPath,
    mailing_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    saved: bool = False,
    tested: bool = False,
) -> HTMLResponse:
    campaign, mailing = await _mailing_of(session, slug, mailing_id)
    form = FormState(values=await _values_of(session, mailing))
    notice = "Saved." if saved else None
    if tested:
        notice = _("A test copy is on its way to %(email)s.") % {"email": active.user.email}
    return await _form_page(request, session, active, campaign, mailing, form, notice=notice)


@router.post("/campaigns/{slug}/mailings/{mailing_id}")
async def save_mailing(
    slug: SlugPath, mailing_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    campaign, mailing = await _mailing_of(session, slug, mailing_id)
    values = await read_form(request)
    data = _validated(values)
    if isinstance(data, FormState):
        return await _form_page(request, session, active, campaign, mailing, data, status_code=422)
    async with refusable(session) as refused:
        await service.update_mailing(session, mailing, data)
    if refused.error:
        state = refused_state(values, refused.error)
        return await _form_page(
            request, session, active, campaign, mailing, state, status_code=refused.status_code
        )
    return see_other(f"{_base(slug)}/{mailing.id}?saved=1")


@router.post("/campaigns/{slug}/mailings/{mailing_id}/test")
async def send_test(
    slug: SlugPath, mailing_id: RowIdPath, session: SessionDep, active: EditorForm
) -> Response:
    _campaign, mailing = await _mailing_of(session, slug, mailing_id)
    await service.send_test(session, mailing, active.user)
    return see_other(f"{_base(slug)}/{mailing.id}?tested=1")


@router.get("/campaigns/{slug}/mailings/{mailing_id}/send")
async def send_page(
    slug: SlugPath, mailing_id: RowIdPath, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    campaign, mailing = await _mailing_of(session, slug, mailing_id)
    return await _send_page(request, session, active, campaign, mailing, FormState())


@router.post("/campaigns/{slug}/mailings/{mailing_id}/send")
async def send_mailing(
    slug: SlugPath, mailing_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    campaign, mailing = await _mailing_of(session, slug, mailing_id)
    values = await read_form(request)
    try:
        when = MailingSend(send_at=_moment(values.get("send_at", "")))
    except InvalidInput as error:
        state = FormState(values=values, errors={"send_at": str(error.detail)})
        return await _send_page(request, session, active, campaign, mailing, state, 422)
    async with refusable(session) as refused:
        await service.send_mailing(session, mailing, when)
    if refused.error:
        state = refused_state(values, refused.error)
        return await _send_page(
            request, session, active, campaign, mailing, state, refused.status_code
        )
    return see_other(f"{_base(slug)}/{mailing.id}")


@router.post("/campaigns/{slug}/mailings/{mailing_id}/unschedule")
async def unschedule_mailing(
    slug: SlugPath, mailing_id: RowIdPath, session: SessionDep, _active: EditorForm
) -> Response:
    _campaign, mailing = await _mailing_of(session, slug, mailing_id)
    await service.unschedule_mailing(session, mailing)
    return see_other(f"{_base(slug)}/{mailing.id}")


@router.post("/campaigns/{slug}/mailings/{mailing_id}/cancel")
async def cancel_mailing(
    slug: SlugPath, mailing_id: RowIdPath, session: SessionDep, _active: EditorForm
) -> Response:
    _campaign, mailing = await _mailing_of(session, slug, mailing_id)
    await service.cancel_mailing(session, mailing)
    return see_other(f"{_base(slug)}/{mailing.id}")


async def _mailing_of(
    session: AsyncSession, slug: str, mailing_id: int
) -> tuple[Campaign, Mailing]:
    campaign = await campaigns.get_campaign(session, slug)
    return campaign, await service.get_mailing(session, campaign, mailing_id)


def _validated(values: dict[str, str]) -> MailingInput | FormState:
    fields: dict[str, Any] = {
        "subject": values.get("subject", ""),
        "body_markdown": values.get("body_markdown", ""),
        "sender_name": values.get("sender_name", "").strip() or None,
        "audience": values.get("audience", ""),
        "tags": [name.strip() for name in values.get("tags", "").split(",") if name.strip()],
        "country": values.get("country", "").strip() or None,
        "source": values.get("source", "").strip() or None,
    }
    try:
        return MailingInput.model_validate(fields)
    except ValidationError as invalid:
        return FormState(
            values=values, errors=worded_field_errors(invalid, _WHEN_EMPTY, _BAD_FORMAT)
        )


def _moment(text: str) -> datetime | None:
    """A `datetime-local` value, read as UTC (the page says so); empty is now."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)
    except ValueError as error:
        raise InvalidInput(
            _("enter a date and time, or leave it empty to send now"), field="send_at"
        ) from error


async def _values_of(session: AsyncSession, mailing: Mailing) -> dict[str, str]:
    return {
        "subject": mailing.subject,
        "body_markdown": mailing.body_markdown,
        "sender_name": mailing.sender_name or "",
        "audience": mailing.audience,
        "tags": ", ".join(await service.tag_names(session, mailing)),
        "country": mailing.country or "",
        "source": mailing.source or "",
    }


async def _form_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    mailing: Mailing | None,
    form: FormState,
    *,
    notice: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "campaign": campaign,
        "mailing": mailing,
        "form": form,
        "notice": notice,
        "may_edit": may_edit(active),
        "tags": [tag.name for tag in await all_tags(session)],
        "editable": mailing is None or mailing.status in service.EDITABLE,
        "cancellable": mailing is not None and mailing.status in service.CANCELLABLE,
    }
    if mailing is not None and mailing.status in service.EDITABLE:
        context["audience_size"] = await service.audience_size(
            session, mailing, address_key=address_key(request)
        )
    elif mailing is not None:
        context["numbers"] = await service.mailing_numbers(session, mailing)
    return page(request, "staff/mailing.html", status_code=status_code, active=active, **context)


async def _send_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    mailing: Mailing,
    form: FormState,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return page(
        request,
        "staff/mailing_send.html",
        status_code=status_code,
        active=active,
        campaign=campaign,
        mailing=mailing,
        form=form,
        audience_size=await service.audience_size(
            session, mailing, address_key=address_key(request)
        ),
        editable=mailing.status in service.EDITABLE,
    )
