"""The public web pages: a campaign's page (petition or letter), the embeddable petition
form, their plain HTML form posts (Post/Redirect/Get) and the chip-in after confirming.

Server-rendered and complete without JavaScript; /static/pages.js only enhances. Every
form post goes through the same domain flows as the JSON API, and the pages answer the
same whether or not an address signed or wrote before."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pycountry
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ClientIp, SessionDep, SettingsDep, SigningOverLimit
from api.form_tokens import (
    Donor,
    FormTokenRefused,
    check_form_token,
    issue_donor_token,
    issue_form_token,
    read_donor_token,
)
from api.pages import templates
from api.routers.donations import donation_options, start_donation
from api.routers.letters import OfficialsQuery
from api.schemas.donations import DonationOptions
from api.schemas.letters import PublicOfficial
from campaign.campaigns.cache import SignableCampaign
from campaign.campaigns.models import Campaign, CampaignKind, CampaignState, PostcodeMode
from campaign.campaigns.rendering import render_markdown
from campaign.campaigns.service import get_public_campaign
from campaign.config import Settings
from campaign.consents.service import get_consent_text
from campaign.donations.events import format_amount, minor_units_per_major
from campaign.donations.schemas import DonationInput
from campaign.errors import CampaignError, InvalidInput, NotFound
from campaign.letters import service as letters
from campaign.letters.models import LetterSetup, TargetRuleKind
from campaign.letters.schemas import LetterInput
from campaign.letters.service import WritingContext
from campaign.signatures.flows import sign_petition
from campaign.signatures.models import Signature, SignatureChannel
from campaign.signatures.schemas import SignatureInput, SigningContext
from campaign.signatures.service import count_signatures

router = APIRouter(tags=["pages"], include_in_schema=False)
router.mount(
    "/static", StaticFiles(directory=Path(__file__).parent.parent / "static"), name="static"
)

# Countries by name for the select; the value sent is the ISO code the API takes.
COUNTRIES = sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])

# How each field is named in an error message, after "Enter".
_FIELD_NAMES = {
    "given_name": "your given name",
    "family_name": "your family name",
    "email": "your email address",
    "country": "your country",
    "postcode": "your postcode",
    "comment": "a comment",
    "email_updates": "yes or no",
    "locality": "your town",
    "subject": "a subject",
    "body": "your letter",
    "amount": "an amount",
    "frequency": "how often to give",
}


@dataclass
class FormState:
    """What a visitor typed, what was wrong with it, and a message about the whole form."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None

    @property
    def refused(self) -> bool:
        return bool(self.errors or self.notice)


# -- Campaign pages ------------------------------------------------------------------------


@router.get("/c/{slug}", response_class=HTMLResponse)
async def campaign_page(
    slug: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """A petition, or a letter campaign with its lookup (a GET form: ?country=&postcode=)."""
    try:
        campaign = await get_public_campaign(session, slug)
        if campaign.kind == CampaignKind.LETTER:
            lookup = FormState(values=_strings(request.query_params))
            return await _letter_page(request, session, settings, campaign, lookup, FormState())
        return await _petition_page(request, session, settings, campaign, FormState())
    except CampaignError as error:
        return _error_page(request, error)


@router.get("/embed/{slug}", response_class=HTMLResponse)
async def embedded_petition(
    slug: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Just the form and the count, for an <iframe> on an organisation's own site."""
    try:
        campaign = await _petition(session, slug)
        return await _petition_page(request, session, settings, campaign, FormState(), embed=True)
    except CampaignError as error:
        return _error_page(request, error)


@router.post("/c/{slug}/sign")
async def sign_from_page(
    slug: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
    over_limit: SigningOverLimit,
) -> Response:
    return await _sign(request, session, settings, slug, ip, over_limit, embed=False)


@router.post("/embed/{slug}/sign")
async def sign_from_embed(
    slug: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
    over_limit: SigningOverLimit,
) -> Response:
    return await _sign(request, session, settings, slug, ip, over_limit, embed=True)


@router.get("/c/{slug}/sent", response_class=HTMLResponse)
async def check_your_inbox(slug: str, request: Request, session: SessionDep) -> Response:
    return await _inbox_page(request, session, slug, embed=False)


@router.get("/embed/{slug}/sent", response_class=HTMLResponse)
async def check_your_inbox_embedded(slug: str, request: Request, session: SessionDep) -> Response:
    return await _inbox_page(request, session, slug, embed=True)


@router.post("/c/{slug}/letter")
async def write_letter_from_page(
    slug: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
    over_limit: SigningOverLimit,
) -> Response:
    form = await _read_form(request)
    try:
        campaign = await get_public_campaign(session, slug)
    except CampaignError as error:
        return _error_page(request, error)
    if campaign.kind != CampaignKind.LETTER:
        return _error_page(request, NotFound("this campaign takes signatures, not letters"))
    lookup = FormState(values={k: form.get(k, "") for k in ("country", "postcode")})
    try:
        check_form_token(_secret(settings), form.get("form_token"), f"letter:{slug}")
        data = LetterInput.model_validate(_letter_fields(form))
        context = WritingContext(
            ip_address=ip, over_rate_limit=over_limit, organisation=settings.email_from_name
        )
        await letters.write_letter(session, campaign, data, context)
    except FormTokenRefused as refused:
        state = FormState(values=form, notice=refused.reason)
        return await _letter_page(request, session, settings, campaign, lookup, state, 403)
    except ValidationError as invalid:
        state = FormState(values=form, errors=_field_errors(invalid))
        return await _letter_page(request, session, settings, campaign, lookup, state, 422)
    except CampaignError as error:
        campaign = await _start_over(session, slug)
        state = _state_for_service_error(form, error, whole_form=("country", "postcode", "slug"))
        return await _letter_page(request, session, settings, campaign, lookup, state, error.status)
    return RedirectResponse(f"/c/{slug}/sent", status_code=303)


# -- Chip in, after a confirmed signature ---------------------------------------------------


async def signature_confirmed_page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    signature: Signature,
    campaign: Campaign,
) -> HTMLResponse:
    """The page behind the confirmation link: thanks, and a chip-in form when the
    campaign takes donations. The form carries the signer's details signed, so giving
    takes two clicks and the details cannot be swapped for someone else's."""
    options = await donation_options(campaign, request, session)
    chip_in = None
    if options.enabled:
        donor = Donor(
            slug=campaign.slug,
            given_name=signature.given_name,
            family_name=signature.family_name,
            email=signature.email,
            country=signature.country,
        )
        chip_in = _chip_in(options, issue_donor_token(_secret(settings), donor), FormState())
    return templates.TemplateResponse(
        request, "confirmed.html", {"campaign": campaign, "chip_in": chip_in}
    )


@router.post("/c/{slug}/donate")
async def chip_in(
    slug: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Start a Checkout from the chip-in form and send the donor there (303)."""
    form = await _read_form(request)
    try:
        campaign = await get_public_campaign(session, slug)
        options = await donation_options(campaign, request, session)
    except CampaignError as error:
        return _error_page(request, error)
    token = form.get("donor_token", "")
    try:
        donor = read_donor_token(_secret(settings), token, slug)
        data = DonationInput.model_validate(_donation_fields(form, donor, options))
        started = await start_donation(data, campaign, request, session, settings)
    except FormTokenRefused as refused:
        return _error_page(request, NotFound(refused.reason), status=403)
    except ValidationError as invalid:
        state = FormState(values=form, errors=_field_errors(invalid))
        return _chip_in_page(request, campaign, options, token, state, 422)
    except CampaignError as error:
        campaign = await _start_over(session, slug)
        if error.field in ("amount", "frequency"):
            state = FormState(values=form, errors={error.field: _sentence(error.detail)})
            return _chip_in_page(request, campaign, options, token, state, error.status)
        return _error_page(request, error)
    return RedirectResponse(started.checkout_url, status_code=303)


# -- Building the pages -------------------------------------------------------------------


async def _petition(session: AsyncSession, slug: str) -> Campaign:
    campaign = await get_public_campaign(session, slug)
    if campaign.kind != CampaignKind.PETITION:
        raise NotFound("only petitions can be embedded; this campaign takes letters")
    return campaign


async def _start_over(session: AsyncSession, slug: str) -> Campaign:
    """After a refused action: undo whatever it wrote, so an answer that says "not done"
    is true, and load the campaign again for the page (the rollback expired it)."""
    await session.rollback()
    return await get_public_campaign(session, slug)


async def _sign(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    slug: str,
    ip: str | None,
    over_limit: bool,
    *,
    embed: bool,
) -> Response:
    form = await _read_form(request)
    try:
        campaign = await _petition(session, slug)
    except CampaignError as error:
        return _error_page(request, error)
    page = (request, session, settings, campaign)
    try:
        check_form_token(_secret(settings), form.get("form_token"), f"sign:{slug}")
        data = SignatureInput.model_validate(_signature_fields(form))
        channel = SignatureChannel.EMBED if embed else SignatureChannel.WEB
        context = SigningContext(channel=channel, ip_address=ip, over_rate_limit=over_limit)
        await sign_petition(
            session,
            SignableCampaign.of(campaign),
            data,
            context,
            max_emails_per_signature=settings.max_emails_per_signature,
        )
    except FormTokenRefused as refused:
        state = FormState(values=form, notice=refused.reason)
        return await _petition_page(*page, state, embed=embed, status=403)
    except ValidationError as invalid:
        state = FormState(values=form, errors=_field_errors(invalid))
        return await _petition_page(*page, state, embed=embed, status=422)
    except CampaignError as error:
        campaign = await _start_over(session, slug)
        state = _state_for_service_error(form, error, whole_form=("slug",))
        return await _petition_page(
            request, session, settings, campaign, state, embed=embed, status=error.status
        )
    return RedirectResponse(f"/{'embed' if embed else 'c'}/{slug}/sent", status_code=303)


async def _petition_page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    form: FormState,
    *,
    embed: bool = False,
    status: int = 200,
) -> HTMLResponse:
    counts = await count_signatures(session, campaign.id)
    consent = await get_consent_text(session, campaign.consent_text_id)
    page_url = f"{settings.public_url}/c/{campaign.slug}"
    context = {
        "lang": campaign.language,
        "campaign": campaign,
        "body_html": render_markdown(campaign.body_markdown),
        "confirmed": counts.confirmed,
        "open": campaign.state == CampaignState.PUBLISHED,
        "ask_postcode": campaign.postcode_mode != PostcodeMode.HIDDEN,
        "postcode_required": campaign.postcode_mode == PostcodeMode.REQUIRED,
        "consent_text": consent.text,
        "countries": COUNTRIES,
        "form": form,
        "form_token": issue_form_token(_secret(settings), f"sign:{campaign.slug}"),
        "action": f"/{'embed' if embed else 'c'}/{campaign.slug}/sign",
        "page_url": page_url,
        "share_email": _share_by_email(campaign.title, page_url),
        "embed": embed,
    }
    template = "embed.html" if embed else "petition.html"
    return templates.TemplateResponse(request, template, context, status_code=status)


async def _letter_page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    lookup: FormState,
    form: FormState,
    status: int = 200,
) -> HTMLResponse:
    setup = await letters.get_setup(session, campaign.id)
    officials = await _look_up_officials(session, setup, lookup)
    if lookup.errors and status == 200:
        status = 422
    consent = await get_consent_text(session, campaign.consent_text_id)
    values = {"subject": setup.subject_template, "body": setup.body_template, **form.values}
    context = {
        "lang": campaign.language,
        "campaign": campaign,
        "body_html": render_markdown(campaign.body_markdown),
        "open": campaign.state == CampaignState.PUBLISHED,
        "setup": setup,
        "postcode_needed": setup.target_kind == TargetRuleKind.DIVISION,
        "lookup": lookup,
        "officials": officials,
        "countries": COUNTRIES,
        "consent_text": consent.text,
        "form": FormState(values=values, errors=form.errors, notice=form.notice),
        "form_token": issue_form_token(_secret(settings), f"letter:{campaign.slug}"),
        "page_url": f"{settings.public_url}/c/{campaign.slug}",
    }
    return templates.TemplateResponse(request, "letter.html", context, status_code=status)


async def _look_up_officials(
    session: AsyncSession, setup: LetterSetup, lookup: FormState
) -> list[PublicOfficial] | None:
    """The officials for the lookup form's answer; None before it is filled in. Problems
    with the answer are put on `lookup`, next to the field at fault."""
    if not lookup.values.get("country"):
        return None
    try:
        query = OfficialsQuery.model_validate(
            {
                "country": lookup.values["country"],
                "postcode": lookup.values.get("postcode") or None,
            }
        )
        found = await letters.find_officials(
            session, setup, country=query.country, postcode=query.postcode
        )
    except ValidationError as invalid:
        lookup.errors = _field_errors(invalid)
        return None
    except InvalidInput as error:
        lookup.errors = {error.field or "postcode": _sentence(error.detail)}
        return None
    if not found:
        lookup.errors = {"postcode": "No one to write to was found for this address."}
        return None
    return [PublicOfficial.of(official) for official in found]


async def _inbox_page(
    request: Request, session: AsyncSession, slug: str, *, embed: bool
) -> Response:
    try:
        campaign = await get_public_campaign(session, slug)
    except CampaignError as error:
        return _error_page(request, error)
    context = {"lang": campaign.language, "campaign": campaign, "embed": embed}
    return templates.TemplateResponse(request, "check_inbox.html", context)


@dataclass(frozen=True)
class ChipIn:
    """The chip-in form: amounts in the minor unit as values, labelled for people."""

    currency: str
    amounts: list[tuple[int, str]]
    frequencies: list[tuple[str, str]]
    minimum: str
    maximum: str
    donor_token: str
    request_id: str
    form: FormState


_FREQUENCY_LABELS = {"one_off": "Once", "monthly": "Every month"}


def _chip_in(options: DonationOptions, donor_token: str, form: FormState) -> ChipIn:
    currency = options.currency or ""
    return ChipIn(
        currency=currency.upper(),
        amounts=[(a, format_amount(a, currency)) for a in options.suggested_amounts],
        frequencies=[(f, _FREQUENCY_LABELS.get(f, f)) for f in options.frequencies],
        minimum=format_amount(options.minimum_amount or 0, currency),
        maximum=format_amount(options.maximum_amount or 0, currency),
        donor_token=donor_token,
        # One per form shown: pressing the button twice starts one Checkout.
        request_id=form.values.get("request_id") or secrets.token_urlsafe(16),
        form=form,
    )


def _chip_in_page(
    request: Request,
    campaign: Campaign,
    options: DonationOptions,
    donor_token: str,
    form: FormState,
    status: int,
) -> HTMLResponse:
    context = {
        "lang": campaign.language,
        "campaign": campaign,
        "chip_in": _chip_in(options, donor_token, form) if options.enabled else None,
    }
    return templates.TemplateResponse(request, "chip_in.html", context, status_code=status)


def _error_page(request: Request, error: CampaignError, status: int | None = None) -> Response:
    return templates.TemplateResponse(
        request,
        "page_error.html",
        {"detail": _sentence(error.detail), "not_found": error.status == 404},
        status_code=status or error.status,
    )


# -- Reading the forms --------------------------------------------------------------------


async def _read_form(request: Request) -> dict[str, str]:
    """The posted fields as text; anything else (a file smuggled in) is ignored."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _strings(values: Any) -> dict[str, str]:
    return {str(key): str(value) for key, value in values.items()}


def _blank_is_none(value: str | None) -> str | None:
    return value if value and value.strip() else None


def _consent(form: dict[str, str]) -> dict[str, bool]:
    # No default either way: consent is an explicit yes or no, as in the API.
    answer = form.get("email_updates")
    return {"email_updates": answer == "yes"} if answer in ("yes", "no") else {}


def _signature_fields(form: dict[str, str]) -> dict[str, Any]:
    return {
        "given_name": form.get("given_name", ""),
        "family_name": form.get("family_name", ""),
        "email": form.get("email", ""),
        "country": form.get("country", ""),
        "postcode": _blank_is_none(form.get("postcode")),
        "comment": _blank_is_none(form.get("comment")),
        "consent": _consent(form),
    }


def _letter_fields(form: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "given_name": form.get("given_name", ""),
        "family_name": form.get("family_name", ""),
        "email": form.get("email", ""),
        "country": form.get("country", ""),
        "postcode": _blank_is_none(form.get("postcode")),
        "locality": _blank_is_none(form.get("locality")),
        "body": form.get("body", ""),
        "consent": _consent(form),
    }
    # A fixed subject is not in the form; sending none keeps the campaign's.
    if "subject" in form:
        fields["subject"] = form["subject"]
    return fields


def _donation_fields(
    form: dict[str, str], donor: Donor, options: DonationOptions
) -> dict[str, Any]:
    return {
        "amount": _amount_in_minor_units(form, options.currency or ""),
        "frequency": form.get("frequency", ""),
        "given_name": donor.given_name,
        "family_name": donor.family_name,
        "email": donor.email,
        "country": donor.country,
        "request_id": form.get("request_id") or None,
    }


def _amount_in_minor_units(form: dict[str, str], currency: str) -> int | str:
    """A suggested amount is sent in the minor unit already; "other" is typed in the
    major unit (5 or 5.50), as people write money. Unreadable text is passed on for the
    schema to refuse with its own message."""
    chosen = form.get("amount", "")
    if chosen != "other":
        return chosen
    typed = form.get("other_amount", "").strip().replace(",", "")
    try:
        value = Decimal(typed) * minor_units_per_major(currency)
    except InvalidOperation:
        return typed
    return int(value) if value == value.to_integral_value() else typed


def _field_errors(invalid: ValidationError) -> dict[str, str]:
    """One message per field, in the form's order of fields, worded for people."""
    errors: dict[str, str] = {}
    for item in invalid.errors():
        location = [part for part in item["loc"] if isinstance(part, str)]
        name = location[-1] if location else "form"
        errors.setdefault(name, _message(name, item))
    return errors


def _message(name: str, item: Any) -> str:
    kind = item.get("type", "")
    label = _FIELD_NAMES.get(name, name.replace("_", " "))
    if kind == "missing" or (kind == "string_too_short" and not item.get("input")):
        return "Choose yes or no." if name == "email_updates" else f"Enter {label}."
    if kind == "string_too_long":
        return f"This must be at most {item['ctx']['max_length']} characters."
    if kind in ("int_parsing", "int_type"):
        return "Enter a whole amount, such as 5 or 12.50."
    message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
    if message.startswith(("must", "is ")):
        message = f"This {message}"
    return _sentence(message)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _state_for_service_error(
    form: dict[str, str], error: CampaignError, *, whole_form: tuple[str, ...]
) -> FormState:
    """A domain error names its field: shown next to it, or above the form when the field
    is not one of the form's own (the campaign itself, or the lookup's answer)."""
    if error.field is None or error.field in whole_form:
        return FormState(values=form, notice=_sentence(error.detail))
    return FormState(values=form, errors={error.field: _sentence(error.detail)})


def _share_by_email(title: str, url: str) -> str:
    query = urlencode({"subject": title, "body": f"{title}\n\n{url}"}, quote_via=quote)
    return f"mailto:?{query}"


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()
