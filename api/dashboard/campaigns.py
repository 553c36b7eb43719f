"""A campaign on the dashboard: its numbers and charts; writing a new one and editing it,
with a live preview of its text; its public page previewed; publishing and closing,
each after a page that says what will happen; and its donation setup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard import numbers
from api.dashboard.rendering import may_edit, page, refusable, see_other
from api.deps import EditorForm, SessionDep, SettingsDep, StaffLogin, requires_staff_login
from api.page_forms import (
    FormState,
    read_form,
    refused_state,
    sentence,
    worded_field_errors,
)
from api.pages import render_page
from api.params import SlugPath
from api.routers.donations import payments_on
from api.routers.pages import campaign_page_view
from campaign.campaigns import flows
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign, CampaignKind, CampaignState, PostcodeMode
from campaign.campaigns.rendering import campaign_text_html
from campaign.campaigns.schemas import CampaignCreate, CampaignUpdate
from campaign.consents.models import ConsentText
from campaign.consents.schemas import ConsentTextCreate
from campaign.consents.service import list_consent_texts
from campaign.donations import service as donations
from campaign.donations.models import DonationSetup
from campaign.donations.money import minor_units_per_major
from campaign.donations.schemas import DonationSetupInput
from campaign.errors import CampaignError
from campaign.i18n import translations
from campaign.responses.service import reached_thresholds
from campaign.staff.models import Role
from campaign.staff.sessions import ActiveSession

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

EditorLogin = Annotated[ActiveSession, Depends(requires_staff_login(Role.EDITOR))]


@router.get("/campaigns/new")
async def new_campaign_page(
    request: Request, session: SessionDep, active: EditorLogin
) -> HTMLResponse:
    form = FormState(values={"kind": CampaignKind.PETITION, "language": "en"})
    return await _new_page(request, session, active, form)


@router.post("/campaigns/new")
async def create_campaign(request: Request, session: SessionDep, active: EditorForm) -> Response:
    form = await read_form(request)
    if form.get("action") == "preview":
        return await _new_page(request, session, active, FormState(values=form), preview=True)
    if not form.get("slug", "").strip() and form.get("title", "").strip():
        # Staff may leave the address to us: one made of the title's words.
        form["slug"] = await campaigns.suggest_slug(session, form["title"])
    data, new_consent, errors = _parsed(CampaignCreate, _fields(form, creating=True), form)
    if data is None:
        state = FormState(values=form, errors=errors)
        return await _new_page(request, session, active, state, status_code=422)
    async with refusable(session) as refused:
        campaign = await flows.create(session, data, new_consent=new_consent)
    if refused.error:
        state = refused_state(form, refused.error)
        return await _new_page(request, session, active, state, status_code=refused.status_code)
    return see_other(f"/staff/campaigns/{campaign.slug}")


@router.get("/campaigns/{slug}/edit")
async def edit_page(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin, saved: bool = False
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    form = FormState(values=_values_of(campaign))
    return await _edit_page(request, session, active, campaign, form, saved=saved)


@router.post("/campaigns/{slug}/edit")
async def save_campaign(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    form = await read_form(request)
    if form.get("action") == "preview":
        state = FormState(values=form)
        return await _edit_page(request, session, active, campaign, state, preview=True)
    data, new_consent, errors = _parsed(CampaignUpdate, _fields(form, creating=False), form)
    if data is None:
        state = FormState(values=form, errors=errors)
        return await _edit_page(request, session, active, campaign, state, status_code=422)
    async with refusable(session) as refused:
        await flows.save_changes(session, campaign, data, new_consent=new_consent)
    if refused.error:
        state = refused_state(form, refused.error)
        return await _edit_page(
            request, session, active, campaign, state, status_code=refused.status_code
        )
    return see_other(f"/staff/campaigns/{campaign.slug}/edit?saved=1")


@router.post("/markdown-preview")
async def text_preview(request: Request, _active: EditorForm) -> HTMLResponse:
    """The editor's live preview: the text as the public page will show it, rendered by
    the same sanitiser, as an HTML fragment for the page's script to put in place."""
    form = await read_form(request)
    html = campaign_text_html(form.get("body_markdown", "")[:_TEXT_LIMIT])
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


# -- The public page, previewed ----------------------------------------------------------


@router.get("/campaigns/{slug}/preview")
async def preview(
    slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep, active: StaffLogin
) -> HTMLResponse:
    """The campaign's public page exactly as /c/<slug> builds it, in any state, for staff
    only: with a banner that says so, and forms that send nothing."""
    campaign = await campaigns.get_campaign(session, slug)
    try:
        view = await campaign_page_view(request, session, settings, campaign, preview=True)
    except CampaignError as error:
        # A letter campaign without its letter has no page to show yet.
        return page(
            request,
            "staff/campaign_preview.html",
            status_code=error.status,
            active=active,
            campaign=campaign,
            error=sentence(error.detail),
        )
    # In the language the public page speaks, as the public will see it.
    response = render_page(
        request, view.template, view.context, language=view.language, status_code=view.status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- Publishing and closing ---------------------------------------------------------------


@router.get("/campaigns/{slug}/publish")
async def confirm_publishing(
    slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep, active: StaffLogin
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    return await _confirmation_page(_PUBLISHING, request, session, settings, active, campaign)


@router.post("/campaigns/{slug}/publish")
async def publish(
    slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep, active: EditorForm
) -> Response:
    return await _confirmed(_PUBLISHING, slug, request, session, settings, active)


@router.get("/campaigns/{slug}/close")
async def confirm_closing(
    slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep, active: StaffLogin
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    return await _confirmation_page(_CLOSING, request, session, settings, active, campaign)


@router.post("/campaigns/{slug}/close")
async def close(
    slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep, active: EditorForm
) -> Response:
    return await _confirmed(_CLOSING, slug, request, session, settings, active)


# -- Donations ----------------------------------------------------------------------------


@router.get("/campaigns/{slug}/donations")
async def donation_setup_page(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin, saved: bool = False
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    setup = await donations.get_setup(session, campaign.id)
    form = FormState(values=_setup_values(setup))
    return await _donations_page(request, session, active, campaign, form, saved=saved)


@router.post("/campaigns/{slug}/donations")
async def save_donation_setup(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    form = await read_form(request)
    try:
        data = DonationSetupInput.model_validate(_setup_fields(form))
    except ValidationError as invalid:
        state = FormState(
            values=form, errors=worded_field_errors(invalid, _SETUP_WHEN_EMPTY, _BAD_FORMAT)
        )
        return await _donations_page(request, session, active, campaign, state, status_code=422)
    async with refusable(session) as refused:
        await donations.save_setup(session, campaign, data)
    if refused.error:
        state = refused_state(form, refused.error)
        return await _donations_page(
            request, session, active, campaign, state, status_code=refused.status_code
        )
    return see_other(f"/staff/campaigns/{slug}/donations?saved=1")


# -- The campaign's own page --------------------------------------------------------------


@router.get("/campaigns/{slug}")
async def campaign_page(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    return await _campaign_page(request, session, active, slug)


async def _campaign_page(
    request: Request, session: SessionDep, active: ActiveSession, slug: str
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    state = CampaignState(campaign.state)
    return page(
        request,
        "staff/campaign.html",
        active=active,
        campaign=campaign,
        may_edit=may_edit(active),
        may_publish=state == CampaignState.DRAFT,
        may_close=state != CampaignState.CLOSED,
        reached=await reached_thresholds(session, campaign),
        **await numbers.campaign_numbers(request, session, campaign),
    )


def _back_to(slug: str) -> RedirectResponse:
    return see_other(f"/staff/campaigns/{slug}")


# -- Building the editor's pages ---------------------------------------------------------

# The longest text the live preview renders: the longest a campaign's text may be.
_TEXT_LIMIT = 50_000

# What the editor's form says when a field is left empty or is not one of its choices.
_WHEN_EMPTY = {
    "kind": _("Choose a petition or a letter."),
    "title": _("Enter a title."),
    "slug": _("Enter the address, or leave it empty to make one from the title."),
    "summary": _("Enter a summary."),
    "body_markdown": _("Enter the campaign's text."),
    "target": _("Enter who it is addressed to."),
    "language": _("Enter a language, such as en or fr."),
    "postcode_mode": _("Choose whether to ask for a postcode."),
    "ask_signers_to_be_named": _("Choose whether to ask signers if they may be named."),
    "text": _("Enter the new wording."),
}
# Mistakes that the schema's own message would word for programmers.
_BAD_FORMAT = {
    "slug": _("Use lower-case letters, digits and single hyphens, such as stop-the-dam."),
    "language": _("Enter a language tag, such as en, fr or pt-BR."),
    "signature_goal": _("Enter a whole number of signatures, such as 1000, or leave it empty."),
}
_REQUIRED_TEXTS = ("title", "summary", "body_markdown", "target", "language")
# The consent wording's schema names its text `text`; on the form it is this field.
_NEW_CONSENT = "new_consent_text"


def _fields(form: dict[str, str], *, creating: bool) -> dict[str, Any]:
    """The form as the service's input. A text the campaign must have is sent as typed
    (empty is refused); an optional one left empty is none, which removes it; a field
    the form does not show (a letter has no goal) is not sent, so it stays as it is."""
    fields: dict[str, Any] = {name: form.get(name, "") for name in _REQUIRED_TEXTS}
    for name in ("slug", "postcode_mode", "ask_signers_to_be_named"):
        if name in form:
            fields[name] = form[name]
    for name in ("share_text", "signature_goal"):
        if name in form:
            fields[name] = _blank_is_none(form[name])
    consent = _blank_is_none(form.get("consent_text_id"))
    if consent is not None or creating:
        fields["consent_text_id"] = consent  # none: the newest for the language
    if creating:
        fields["kind"] = form.get("kind", "")
    return fields


_Input = TypeVar("_Input", CampaignCreate, CampaignUpdate)


def _parsed(
    model: type[_Input], fields: dict[str, Any], form: dict[str, str]
) -> tuple[_Input | None, ConsentTextCreate | None, dict[str, str]]:
    """The campaign's input and any new consent wording, or every mistake in either."""
    errors: dict[str, str] = {}
    data = new_consent = None
    try:
        data = model.model_validate(fields)
    except ValidationError as invalid:
        errors.update(worded_field_errors(invalid, _WHEN_EMPTY, _BAD_FORMAT))
    wording = _blank_is_none(form.get(_NEW_CONSENT))
    if wording is not None:
        try:
            language = form.get("language", "") or "en"
            new_consent = ConsentTextCreate(language=language, text=wording)
        except ValidationError as invalid:
            mistakes = worded_field_errors(invalid, _WHEN_EMPTY, _BAD_FORMAT)
            if "text" in mistakes:
                errors[_NEW_CONSENT] = mistakes["text"]
            # A bad language is already said beside the language field.
    return (None if errors else data), new_consent, errors


def _blank_is_none(value: str | None) -> str | None:
    return value if value and value.strip() else None


def _values_of(campaign: Campaign) -> dict[str, str]:
    """The form filled in with the campaign as it is."""
    goal = campaign.signature_goal
    return {
        "kind": campaign.kind,
        "title": campaign.title,
        "slug": campaign.slug,
        "summary": campaign.summary,
        "body_markdown": campaign.body_markdown,
        "target": campaign.target,
        "share_text": campaign.share_text or "",
        "signature_goal": "" if goal is None else str(goal),
        "language": campaign.language,
        "postcode_mode": campaign.postcode_mode,
        "ask_signers_to_be_named": "yes" if campaign.ask_signers_to_be_named else "no",
        "consent_text_id": str(campaign.consent_text_id),
    }


async def _new_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    form: FormState,
    *,
    preview: bool = False,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return page(
        request,
        "staff/campaign_new.html",
        status_code=status_code,
        active=active,
        form=form,
        **await _editor_context(session, form, preview=preview),
    )


async def _edit_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    form: FormState,
    *,
    preview: bool = False,
    saved: bool = False,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    state = CampaignState(campaign.state)
    return page(
        request,
        "staff/campaign_edit.html",
        status_code=status_code,
        active=active,
        campaign=campaign,
        form=form,
        saved=saved,
        # Staff may change a campaign that is not closed; viewers see the form, inert.
        may_change=may_edit(active) and state != CampaignState.CLOSED,
        slug_fixed=state != CampaignState.DRAFT,
        **await _editor_context(session, form, preview=preview),
    )


async def _editor_context(
    session: AsyncSession, form: FormState, *, preview: bool
) -> dict[str, Any]:
    return {
        "consent_texts": [_consent_choice(text) for text in await list_consent_texts(session)],
        "postcode_modes": [mode.value for mode in PostcodeMode],
        # The text as the public page will show it: the text posted with the form's
        # Preview button, else the text as it stands.
        "text_preview": campaign_text_html(form.values.get("body_markdown", "")[:_TEXT_LIMIT]),
        "previewed": preview,
    }


def _consent_choice(text: ConsentText) -> tuple[str, str]:
    wording = text.text if len(text.text) <= 90 else text.text[:89].rstrip() + "…"
    return str(text.id), f"{text.language}, version {text.version}: {wording}"


@dataclass(frozen=True)
class _StateChange:
    """Publishing or closing: each asked for on a page of its own that says what it will
    do (its outlook), then made by the form on that page."""

    template: str
    outlook: Callable[[AsyncSession, Campaign], Awaitable[object]]
    make: Callable[[AsyncSession, Campaign], Awaitable[object]]


_PUBLISHING = _StateChange("staff/campaign_publish.html", flows.publishing_outlook, flows.publish)
_CLOSING = _StateChange("staff/campaign_close.html", flows.closing_outlook, flows.close)


async def _confirmed(
    change: _StateChange,
    slug: str,
    request: Request,
    session: AsyncSession,
    settings: SettingsDep,
    active: ActiveSession,
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    async with refusable(session) as refused:
        await change.make(session, campaign)
    if refused.error:
        return await _confirmation_page(
            change, request, session, settings, active, campaign, refused.error
        )
    return _back_to(slug)


async def _confirmation_page(
    change: _StateChange,
    request: Request,
    session: AsyncSession,
    settings: SettingsDep,
    active: ActiveSession,
    campaign: Campaign,
    error: CampaignError | None = None,
) -> HTMLResponse:
    outlook = await change.outlook(session, campaign)
    return page(
        request,
        change.template,
        status_code=error.status if error else status.HTTP_200_OK,
        active=active,
        campaign=campaign,
        outlook=outlook,
        error=error.detail if error else None,
        may_edit=may_edit(active),
        public_url=f"{settings.public_url}/c/{campaign.slug}",
    )


# -- Building the donation setup page ---------------------------------------------------

_SETUP_WHEN_EMPTY = {
    "currency": _("Enter a currency code, such as gbp or eur."),
    "minimum_amount": _("Enter the smallest amount someone may give."),
    "maximum_amount": _("Enter the largest amount someone may give."),
}
_SETUP_FIELDS = ("currency", "minimum_amount", "maximum_amount", "suggested_amounts")
_SETUP_SWITCHES = ("allow_one_off", "allow_monthly", "enabled")


def _setup_fields(form: dict[str, str]) -> dict[str, Any]:
    """The setup form as the API's input. Staff write amounts as people write money (5 or
    12.50); the setup holds them in the currency's minor unit (500, 1250), as Stripe
    counts. Text that is no amount is passed on for the schema to refuse."""
    currency = form.get("currency", "").strip()
    suggested = [part for part in form.get("suggested_amounts", "").split(",") if part.strip()]
    return {
        "currency": currency,
        "minimum_amount": _minor_units(form.get("minimum_amount", ""), currency),
        "maximum_amount": _minor_units(form.get("maximum_amount", ""), currency),
        "suggested_amounts": [_minor_units(amount, currency) for amount in suggested],
        **{name: form.get(name) == "on" for name in _SETUP_SWITCHES},
    }


def _minor_units(typed: str, currency: str) -> int | str:
    text = typed.strip().replace(",", "")
    try:
        value = Decimal(text) * minor_units_per_major(currency)
    except ArithmeticError:
        return text
    if not value.is_finite() or value != value.to_integral() or abs(value) > 10**12:
        return text
    return int(value)


def _major_units(amount: int, currency: str) -> str:
    """500 pence as "5", 1250 as "12.50"; 500 yen as "500"."""
    per_major = minor_units_per_major(currency)
    if per_major == 1 or amount % per_major == 0:
        return str(amount // per_major)
    return f"{Decimal(amount) / per_major:.2f}"


def _setup_values(setup: DonationSetup | None) -> dict[str, str]:
    if setup is None:
        # A new setup starts from the API's defaults, switched on.
        return {
            "minimum_amount": "1",
            "maximum_amount": "10000",
            **dict.fromkeys(_SETUP_SWITCHES, "on"),
        }
    currency = setup.currency
    return {
        "currency": currency,
        "minimum_amount": _major_units(setup.minimum_amount, currency),
        "maximum_amount": _major_units(setup.maximum_amount, currency),
        "suggested_amounts": ", ".join(_major_units(a, currency) for a in setup.suggested_amounts),
        **{name: "on" if getattr(setup, name) else "" for name in _SETUP_SWITCHES},
    }


async def _donations_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    form: FormState,
    *,
    saved: bool = False,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    state = await donations.donation_state(session, campaign, payments_on=payments_on(request))
    return page(
        request,
        "staff/campaign_donations.html",
        status_code=status_code,
        active=active,
        campaign=campaign,
        form=form,
        saved=saved,
        state=state,
        may_change=may_edit(active),
        setup_fields=_SETUP_FIELDS,
    )
