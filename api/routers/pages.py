"""The public web pages: a campaign's page (petition or letter), the embeddable petition
form, their plain HTML form posts (Post/Redirect/Get) and the chip-in after confirming.

Server-rendered and complete without JavaScript; /static/pages.js only enhances. Every
form post goes through the same domain flows as the JSON API, and the pages answer the
same whether or not an address signed or wrote before."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pycountry
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.chip_in import amount_refusal, chip_in_form, donation_fields, donation_options
from api.deps import (
    ClientIp,
    SessionDep,
    SettingsDep,
    SigningLimitsDep,
    UserAgent,
    public_counts,
)
from api.donation_limits import ensure_donation_within_limits
from api.form_tokens import FormTokenRefused, check_form_token, issue_form_token, read_donor_token
from api.languages import page_language, page_messages, request_language
from api.page_forms import (
    TRACKING_FIELDS,
    FormState,
    field_errors,
    letter_fields,
    read_form,
    signature_fields,
    state_for_service_error,
    text_values,
    tracking_values,
    translated_sentence,
)
from api.pages import render_page
from api.params import SlugPath
from api.problems import PAGE_FAULTS
from api.ratelimit import SigningLimits
from api.routers.letters import OfficialsQuery
from api.schemas.donations import DonationOptions
from api.schemas.letters import PublicOfficial
from campaign.campaigns.models import Campaign, CampaignKind, CampaignState, PostcodeMode
from campaign.campaigns.rendering import campaign_text_html
from campaign.campaigns.service import get_public_campaign
from campaign.campaigns.signable import SignableCampaign
from campaign.campaigns.versions import (
    ShownVersion,
    VersionChoice,
    choose_version,
    consent_text_for,
    consent_texts_by_version,
    list_versions,
    version_language,
)
from campaign.config import Settings
from campaign.consents.models import ConsentText
from campaign.donations.schemas import DonationInput
from campaign.donations.service import checkout_links, start_donation
from campaign.errors import CampaignError, Forbidden, InvalidInput, NotFound
from campaign.i18n import SOURCE_LANGUAGE, babel_locale, language_name, supported_language
from campaign.i18n import gettext_noop as _
from campaign.letters import service as letters
from campaign.letters.models import LetterSetup, TargetRuleKind
from campaign.letters.schemas import LetterInput
from campaign.letters.service import WritingContext
from campaign.letters.templating import in_words
from campaign.metrics.counts import public_signature_count
from campaign.responses.service import published_response
from campaign.signatures.flows import submit_signature
from campaign.signatures.models import SignatureChannel
from campaign.signatures.schemas import SignatureInput, SigningContext

router = APIRouter(tags=["pages"], include_in_schema=False)
router.mount(
    "/static", StaticFiles(directory=Path(__file__).parent.parent / "static"), name="static"
)

# The signing form's honeypot: a field hidden from people (and from screen readers) that
# form-filling bots fill in. A name such bots like and browsers do not autofill.
HONEYPOT_FIELD = "website"


@cache
def countries_in(language: str) -> list[tuple[str, str]]:
    """Countries by name in the page's language for the select; the value sent is the ISO
    code the API takes. Sorted as a reader of the language looks for them: "Égypte"
    among the E's. English keeps the ISO 3166 names it has always shown."""
    if language == SOURCE_LANGUAGE:
        return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])
    names = babel_locale(language).territories
    countries = [(c.alpha_2, names.get(c.alpha_2, c.name)) for c in pycountry.countries]
    return sorted(countries, key=lambda country: _sort_key(country[1]))


def _sort_key(name: str) -> str:
    unaccented = unicodedata.normalize("NFKD", name)
    return "".join(c for c in unaccented if not unicodedata.combining(c)).casefold()


# -- Campaign pages ------------------------------------------------------------------------


@router.get("/c/{slug}", response_class=HTMLResponse)
async def campaign_page(
    slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    try:
        campaign = await get_public_campaign(session, slug)
        view = await campaign_page_view(request, session, settings, campaign)
    except CampaignError as error:
        return _error_page(request, error)
    return render_page(
        request,
        view.template,
        view.context,
        language=view.language,
        status_code=view.status_code,
        headers=view.headers,
    )


@router.get("/embed/{slug}", response_class=HTMLResponse)
async def embedded_petition(
    slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Just the form and the count, for an <iframe> on an organisation's own site."""
    try:
        campaign = await _petition(session, slug)
        form = _new_form(request)
        return await _petition_page(request, session, settings, campaign, form, embed=True)
    except CampaignError as error:
        return _error_page(request, error)


@router.post("/c/{slug}/sign")
async def sign_from_page(
    slug: SlugPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
    user_agent: UserAgent,
    limits: SigningLimitsDep,
) -> Response:
    channel = SignatureChannel.WEB
    context = SigningContext(channel=channel, ip_address=ip, user_agent=user_agent)
    return await _sign(request, session, settings, slug, context, limits, embed=False)


@router.post("/embed/{slug}/sign")
async def sign_from_embed(
    slug: SlugPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
    user_agent: UserAgent,
    limits: SigningLimitsDep,
) -> Response:
    channel = SignatureChannel.EMBED
    context = SigningContext(channel=channel, ip_address=ip, user_agent=user_agent)
    return await _sign(request, session, settings, slug, context, limits, embed=True)


@router.get("/c/{slug}/sent", response_class=HTMLResponse)
async def check_your_inbox(slug: SlugPath, request: Request, session: SessionDep) -> Response:
    return await _inbox_page(request, session, slug, embed=False)


@router.get("/embed/{slug}/sent", response_class=HTMLResponse)
async def check_your_inbox_embedded(
    slug: SlugPath, request: Request, session: SessionDep
) -> Response:
    return await _inbox_page(request, session, slug, embed=True)


@router.post("/c/{slug}/letter")
async def write_letter_from_page(
    slug: SlugPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
    limits: SigningLimitsDep,
) -> Response:
    form = await read_form(request)
    try:
        campaign = await get_public_campaign(session, slug)
    except CampaignError as error:
        return _error_page(request, error)
    await page_version(request, session, campaign, requested=form.get("lang"))
    language = page_language(request, campaign)
    try:
        letters.ensure_takes_letters(campaign)
    except CampaignError as error:
        return _error_page(request, error, language)
    lookup = FormState(values={k: form.get(k, "") for k in ("country", "postcode")})
    try:
        check_form_token(_secret(settings), form.get("form_token"), f"letter:{slug}")
        data = LetterInput.model_validate(letter_fields(form))
        shown = await page_version(request, session, campaign, requested=form.get("lang"))
        consent = await _shown_consent_text(session, campaign, shown.shown.language, form)
        async with limits.for_letter(ip, campaign.id) as over_limit:
            context = WritingContext(
                ip_address=ip,
                over_rate_limit=over_limit,
                organisation=settings.email_from_name,
                channel=SignatureChannel.WEB,
                language=shown.shown.language,
                title=shown.shown.title,
                consent_text_id=consent.id,
                fixed_subject=shown.shown.letter_subject,
            )
            await letters.write_letter(session, campaign, data, context)
    except FormTokenRefused as refused:
        state = FormState(values=form, notice=translated_sentence(refused.reason, language))
        return await _letter_page(request, session, settings, campaign, lookup, state, 403)
    except ValidationError as invalid:
        state = FormState(values=form, errors=field_errors(invalid, language))
        return await _letter_page(request, session, settings, campaign, lookup, state, 422)
    except CampaignError as error:
        campaign = await _start_over(session, slug)
        state = state_for_service_error(
            form, error, whole_form=("country", "postcode", "slug"), language=language
        )
        return await _letter_page(request, session, settings, campaign, lookup, state, error.status)
    return RedirectResponse(f"/c/{slug}/sent{_keeping(shown)}", status_code=303)


# -- Chip in, after a confirmed signature ---------------------------------------------------


@router.post("/c/{slug}/donate")
async def chip_in(
    slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep, ip: ClientIp
) -> Response:
    """Start a Checkout from the chip-in form and send the donor there (303)."""
    form = await read_form(request)
    try:
        campaign = await get_public_campaign(session, slug)
        options = await donation_options(request, session, campaign)
    except CampaignError as error:
        return _error_page(request, error)
    language = page_language(request, campaign)
    token = form.get("donor_token", "")
    try:
        donor = read_donor_token(_secret(settings), token, slug)
        data = DonationInput.model_validate(donation_fields(form, donor, options, language))
        await ensure_donation_within_limits(request, ip, campaign.id)
        donation = await start_donation(
            session,
            campaign,
            data,
            request.app.state.stripe,
            checkout_links(settings, campaign),
        )
    except FormTokenRefused as refused:
        return _error_page(request, Forbidden(refused.reason), language)
    except ValidationError as invalid:
        state = FormState(values=form, errors=field_errors(invalid, language))
        return _chip_in_page(request, campaign, options, token, state, 422)
    except CampaignError as error:
        campaign = await _start_over(session, slug)
        if error.field in ("amount", "frequency"):
            message = (error.field == "amount" and amount_refusal(options, language)) or (
                translated_sentence(error.detail, language)
            )
            state = FormState(values=form, errors={error.field: message})
            return _chip_in_page(request, campaign, options, token, state, error.status)
        return _error_page(request, error, language)
    assert donation.checkout_url is not None
    return RedirectResponse(donation.checkout_url, status_code=303)


# -- Building the pages -------------------------------------------------------------------


async def _petition(session: AsyncSession, slug: str) -> Campaign:
    """A public petition; a letter campaign has no signing form (or embed) to show."""
    campaign = await get_public_campaign(session, slug)
    if campaign.kind != CampaignKind.PETITION:
        raise NotFound(_("this campaign takes letters, not signatures"))
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
    context: SigningContext,
    limits: SigningLimits,
    *,
    embed: bool,
) -> Response:
    form = await read_form(request)
    try:
        campaign = await _petition(session, slug)
    except CampaignError as error:
        return _error_page(request, error)
    page = (request, session, settings, campaign)
    await page_version(request, session, campaign, requested=form.get("lang"))
    language = page_language(request, campaign)
    try:
        check_form_token(_secret(settings), form.get("form_token"), f"sign:{slug}")
        data = SignatureInput.model_validate(signature_fields(form))
        # People never see the honeypot field; whatever is in it was put there by a bot,
        # which is answered exactly as a person is.
        context = replace(context, honeypot_filled=bool(form.get(HONEYPOT_FIELD)))
        signable = await _signable_as_shown(session, campaign, data.language, form)
        await submit_signature(session, signable, data, context, limits)
    except FormTokenRefused as refused:
        state = FormState(values=form, notice=translated_sentence(refused.reason, language))
        return await _petition_page(*page, state, embed=embed, status=403)
    except ValidationError as invalid:
        state = FormState(values=form, errors=field_errors(invalid, language))
        return await _petition_page(*page, state, embed=embed, status=422)
    except CampaignError as error:
        campaign = await _start_over(session, slug)
        state = state_for_service_error(
            form, error, whole_form=("slug", "language"), language=language
        )
        return await _petition_page(
            request, session, settings, campaign, state, embed=embed, status=error.status
        )
    signed = await page_version(request, session, campaign, requested=data.language)
    sent = f"/{'embed' if embed else 'c'}/{slug}/sent{_keeping(signed)}"
    return RedirectResponse(sent, status_code=303)


@dataclass(frozen=True)
class CampaignPageView:
    """A campaign's public page before it is rendered: its template and what it shows."""

    template: str
    context: dict[str, Any]
    language: str
    status_code: int = 200
    headers: dict[str, str] | None = None


async def campaign_page_view(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    *,
    preview: bool = False,
) -> CampaignPageView:
    """What /c/<slug> shows: a petition with its signing form, or a letter campaign with
    its lookup (a GET form: ?country=&postcode=). The staff preview shows exactly this,
    with `preview` set: a banner, a draft shown as it will be once published, and
    forms that send nothing."""
    choice = await page_version(request, session, campaign)
    headers = _vary(choice)
    if campaign.kind == CampaignKind.LETTER:
        lookup = FormState(values=text_values(request.query_params))
        context = await _letter_context(
            request, session, settings, campaign, lookup, FormState(), preview=preview
        )
        status_code = 422 if lookup.errors else 200
        return CampaignPageView("letter.html", context, context["lang"], status_code, headers)
    form = _new_form(request)
    context = await _petition_context(request, session, settings, campaign, form, preview=preview)
    return CampaignPageView("petition.html", context, context["lang"], headers=headers)


async def page_version(
    request: Request,
    session: AsyncSession,
    campaign: Campaign,
    *,
    requested: str | None = None,
) -> VersionChoice:
    """The one place a public page's language is decided: the campaign's version that
    the page shows (choose_version's rule), asked for by a posted form's `lang` or else
    the address's ?lang=, else by the browser's Accept-Language. Its language is the
    page's (`lang` in every page's context). Worked out once per request."""
    cached = getattr(request.state, "campaign_version", None)
    if isinstance(cached, VersionChoice) and requested is None:
        return cached
    versions = await list_versions(session, campaign.id)
    choice = choose_version(
        campaign,
        versions,
        requested or request.query_params.get("lang"),
        request.headers.get("accept-language"),
    )
    request.state.campaign_version = choice
    return choice


def _vary(choice: VersionChoice) -> dict[str, str] | None:
    # Caches must keep one copy per Accept-Language of a page chosen by it.
    return {"Vary": "Accept-Language"} if choice.negotiated else None


def _version_context(
    choice: VersionChoice, settings: Settings, campaign: Campaign
) -> dict[str, Any]:
    """What a page shows of its version: its texts, its language, and links to the
    campaign's other versions, each named in its own language."""
    return {
        "lang": choice.shown.language,
        "version": choice.shown,
        "body_html": campaign_text_html(choice.shown.body_markdown),
        "other_versions": [
            {
                "language": other.language,
                "name": language_name(other.language),
                "url": f"/c/{campaign.slug}?lang={quote(other.language)}",
            }
            for other in choice.others
        ],
        "page_url": f"{settings.public_url}/c/{campaign.slug}"
        + ("" if choice.shown.primary else _version_query(choice.shown.language)),
    }


def _keeping(choice: VersionChoice) -> str:
    """The query for the page after a form: the version the form was in, where there is
    more than one."""
    return _version_query(choice.shown.language) if len(choice.versions) > 1 else ""


def _version_query(language: str | None) -> str:
    """The query that asks for a version by name, for links that must keep to it."""
    return f"?lang={quote(language)}" if language else ""


async def _shown_consent_text(
    session: AsyncSession, campaign: Campaign, language: str, form: dict[str, str]
) -> ConsentText:
    """The consent wording the posted form showed: the id it carries, if that is a
    wording of this purpose in the version's language (it may have been replaced since
    the page was loaded, and the signer agreed to what they read); else the version's
    wording now."""
    current = await consent_text_for(session, campaign, language)
    posted = form.get("consent_text_id", "")
    # An id is at most 18 digits here: any longer is no row's (and no 64-bit number's).
    if len(posted) > 18 or not posted.isdecimal() or int(posted) == current.id:
        return current
    shown = await session.get(ConsentText, int(posted))
    if shown is None or (shown.purpose, shown.language) != (current.purpose, current.language):
        return current
    return shown


async def _signable_as_shown(
    session: AsyncSession, campaign: Campaign, language: str | None, form: dict[str, str]
) -> SignableCampaign:
    """The campaign for signing from its page: its versions, and the consent wording the
    signer was shown in the version named (the primary when none)."""
    versions = await list_versions(session, campaign.id)
    texts = dict(await consent_texts_by_version(session, campaign, versions))
    named = version_language(campaign.language, list(texts), language)
    texts[named] = (await _shown_consent_text(session, campaign, named, form)).id
    return SignableCampaign.of(campaign, texts)


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
    context = await _petition_context(request, session, settings, campaign, form, embed=embed)
    template = "embed.html" if embed else "petition.html"
    headers = _vary(await page_version(request, session, campaign))
    return render_page(
        request, template, context, language=context["lang"], status_code=status, headers=headers
    )


async def _petition_context(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    form: FormState,
    *,
    embed: bool = False,
    preview: bool = False,
) -> dict[str, Any]:
    # Read as the public API reads it: a page view under a surge costs no count.
    counts = await public_counts(request).get(session, campaign.id)
    choice = await page_version(request, session, campaign, requested=form.values.get("lang"))
    language = supported_language(choice.shown.language)
    consent = await _shown_consent_text(
        session, campaign, choice.shown.language, form.values if form.refused else {}
    )
    versioned = _version_context(choice, settings, campaign)
    page_url = versioned["page_url"]
    return {
        **_shared_context(campaign, language, preview),
        **versioned,
        "confirmed": public_signature_count(counts),
        "ask_postcode": campaign.postcode_mode != PostcodeMode.HIDDEN,
        "postcode_required": campaign.postcode_mode == PostcodeMode.REQUIRED,
        "ask_to_be_named": campaign.ask_signers_to_be_named,
        "consent_text": consent.text,
        "consent_text_id": consent.id,
        "countries": countries_in(language),
        "form": form,
        "form_token": _form_token(settings, f"sign:{campaign.slug}", preview),
        "action": f"/{'embed' if embed else 'c'}/{campaign.slug}/sign",
        "page_url": page_url,
        "share_email": _share_by_email(choice.shown, page_url),
        "embed": embed,
        "tracking_fields": TRACKING_FIELDS,
        "honeypot_field": HONEYPOT_FIELD,
        "response": await published_response(session, campaign.id),
    }


async def _letter_page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    lookup: FormState,
    form: FormState,
    status: int = 200,
) -> HTMLResponse:
    context = await _letter_context(request, session, settings, campaign, lookup, form)
    if lookup.errors and status == 200:
        status = 422
    headers = _vary(await page_version(request, session, campaign))
    return render_page(
        request,
        "letter.html",
        context,
        language=context["lang"],
        status_code=status,
        headers=headers,
    )


async def _letter_context(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    lookup: FormState,
    form: FormState,
    *,
    preview: bool = False,
) -> dict[str, Any]:
    setup = await letters.get_setup(session, campaign.id)
    requested = form.values.get("lang") or lookup.values.get("lang")
    choice = await page_version(request, session, campaign, requested=requested)
    shown = choice.shown
    language = supported_language(shown.language)
    officials = await _look_up_officials(session, setup, lookup, language)
    consent = await _shown_consent_text(
        session, campaign, shown.language, form.values if form.refused else {}
    )
    # The letter as the activist reads it: placeholders in words, back when it is sent.
    subject = in_words(shown.letter_subject or setup.subject_template)
    body = in_words(shown.letter_body or setup.body_template)
    values = {"subject": subject, "body": body, **form.values}
    versioned = _version_context(choice, settings, campaign)
    page_url = versioned["page_url"]
    return {
        **_shared_context(campaign, language, preview),
        **versioned,
        "setup": setup,
        "fixed_subject": subject,
        "postcode_needed": setup.target_kind == TargetRuleKind.DIVISION,
        "lookup": lookup,
        # The preview looks officials up too (it changes nothing), staying in the preview.
        "lookup_action": request.url.path if preview else f"/c/{campaign.slug}",
        "officials": officials,
        "countries": countries_in(language),
        "consent_text": consent.text,
        "consent_text_id": consent.id,
        "form": FormState(values=values, errors=form.errors, notice=form.notice),
        "form_token": _form_token(settings, f"letter:{campaign.slug}", preview),
        "page_url": page_url,
        "share_email": _share_by_email(shown, page_url),
    }


def _shared_context(campaign: Campaign, language: str, preview: bool) -> dict[str, Any]:
    """What both kinds of page show of the campaign itself, and the language they speak
    (a version's texts, and its own tag as `lang`, come from _version_context)."""
    return {
        "lang": language,
        "campaign": campaign,
        # A draft is previewed as it will be once published: with its form.
        "open": campaign.state == CampaignState.PUBLISHED
        or (preview and campaign.state == CampaignState.DRAFT),
        "preview": preview,
    }


def _form_token(settings: Settings, purpose: str, preview: bool) -> str:
    # No token in a preview, whose forms are disabled: were one sent anyway, it is refused.
    return "" if preview else issue_form_token(_secret(settings), purpose)


async def _look_up_officials(
    session: AsyncSession, setup: LetterSetup, lookup: FormState, language: str
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
        lookup.errors = field_errors(invalid, language)
        return None
    except InvalidInput as error:
        lookup.errors = {error.field or "postcode": translated_sentence(error.detail, language)}
        return None
    if not found:
        nobody = page_messages(language).gettext("No one to write to was found for this address.")
        lookup.errors = {"postcode": nobody}
        return None
    return [PublicOfficial.of(official) for official in found]


async def _inbox_page(
    request: Request, session: AsyncSession, slug: str, *, embed: bool
) -> Response:
    try:
        campaign = await get_public_campaign(session, slug)
    except CampaignError as error:
        return _error_page(request, error)
    choice = await page_version(request, session, campaign)
    context = {
        "lang": choice.shown.language,
        "version": choice.shown,
        "campaign": campaign,
        "embed": embed,
    }
    return render_page(
        request,
        "check_inbox.html",
        context,
        language=choice.shown.language,
        headers=_vary(choice),
    )


def _chip_in_page(
    request: Request,
    campaign: Campaign,
    options: DonationOptions,
    donor_token: str,
    form: FormState,
    status: int,
) -> HTMLResponse:
    language = page_language(request, campaign)
    context = {
        "campaign": campaign,
        "chip_in": chip_in_form(options, donor_token, form, language) if options.enabled else None,
    }
    return render_page(request, "chip_in.html", context, language=language, status_code=status)


def _error_page(request: Request, error: CampaignError, language: str | None = None) -> Response:
    """A refusal as a page: in the campaign's language when it is known, else in the one
    the browser asks for."""
    language = language or request_language(request)
    detail = translated_sentence(error.detail, language, fallback=PAGE_FAULTS.get(error.status))
    context = {"detail": detail, "status": error.status}
    return render_page(
        request, "page_error.html", context, language=language, status_code=error.status
    )


def _new_form(request: Request) -> FormState:
    """An empty signing form, but for where the visitor came from."""
    return FormState(values=tracking_values(request.query_params, request.headers.get("referer")))


def _share_by_email(version: ShownVersion, url: str) -> str:
    """The share button's email: the version's share text (its title if it has none) and
    the link."""
    text = version.share_text or version.title
    query = urlencode({"subject": version.title, "body": f"{text}\n\n{url}"}, quote_via=quote)
    return f"mailto:?{query}"


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()
