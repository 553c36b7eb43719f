"""Chipping in after a confirmed signature: the form on the confirmation page, which
carries the signer's details signed so that giving takes two clicks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.form_tokens import Donor, issue_donor_token
from api.languages import page_language, page_messages
from api.page_forms import FormState
from api.pages import render_page
from api.schemas.donations import DonationOptions
from campaign.campaigns.models import Campaign
from campaign.config import Settings
from campaign.donations.money import format_amount, minor_units_per_major
from campaign.donations.service import donation_offer
from campaign.i18n import SOURCE_LANGUAGE, babel_locale
from campaign.i18n import gettext_noop as _
from campaign.signatures.models import Signature

_FREQUENCY_LABELS = {"one_off": _("Once"), "monthly": _("Every month")}
# Spaces people put between thousands, whichever their keyboard types.
_SPACES = (" ", "\u00a0", "\u202f")
# Far above any campaign's maximum, and small enough to turn into an int at once.
_LARGEST_AMOUNT = Decimal(10) ** 12


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


async def donation_options(
    request: Request, session: AsyncSession, campaign: Campaign
) -> DonationOptions:
    """What the chip-in form may offer: the same as the public API's donation options."""
    payments_on = request.app.state.stripe is not None
    return DonationOptions.of(await donation_offer(session, campaign, payments_on=payments_on))


def chip_in_form(
    options: DonationOptions, donor_token: str, form: FormState, language: str
) -> ChipIn:
    """The form's amounts and choices worded and formatted in the page's language."""
    currency = options.currency or ""
    messages = page_messages(language)
    return ChipIn(
        currency=currency.upper(),
        amounts=[(a, format_amount(a, currency, language)) for a in options.suggested_amounts],
        frequencies=[
            (f, messages.gettext(_FREQUENCY_LABELS[f]) if f in _FREQUENCY_LABELS else f)
            for f in options.frequencies
        ],
        minimum=format_amount(options.minimum_amount or 0, currency, language),
        maximum=format_amount(options.maximum_amount or 0, currency, language),
        donor_token=donor_token,
        # One per form shown: pressing the button twice starts one Checkout.
        request_id=form.values.get("request_id") or secrets.token_urlsafe(16),
        form=form,
    )


async def signature_confirmed_page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    signature: Signature,
    campaign: Campaign,
) -> HTMLResponse:
    """The page behind the confirmation link: thanks, and a chip-in form when the
    campaign takes donations. The signer's details travel signed, so they cannot be
    swapped for someone else's."""
    options = await donation_options(request, session, campaign)
    language = page_language(request, campaign)
    chip_in = None
    if options.enabled:
        donor = Donor(
            slug=campaign.slug,
            given_name=signature.given_name,
            family_name=signature.family_name,
            email=signature.email,
            country=signature.country,
        )
        token = issue_donor_token(settings.secret_key.get_secret_value(), donor)
        chip_in = chip_in_form(options, token, FormState(), language)
    context = {"campaign": campaign, "chip_in": chip_in}
    return render_page(request, "confirmed.html", context, language=language)


def amount_refusal(options: DonationOptions, language: str) -> str | None:
    """What to say of an amount the campaign does not take, in a language other than
    English (which shows the service's own reason), with the bounds as people read them."""
    if language == SOURCE_LANGUAGE:
        return None
    currency = options.currency or ""
    return page_messages(language).gettext("Enter an amount from %(minimum)s to %(maximum)s.") % {
        "minimum": format_amount(options.minimum_amount or 0, currency, language),
        "maximum": format_amount(options.maximum_amount or 0, currency, language),
    }


def donation_fields(
    form: dict[str, str], donor: Donor, options: DonationOptions, language: str
) -> dict[str, Any]:
    return {
        "amount": amount_in_minor_units(form, options.currency or "", language),
        "frequency": form.get("frequency", ""),
        "given_name": donor.given_name,
        "family_name": donor.family_name,
        "email": donor.email,
        "country": donor.country,
        "request_id": form.get("request_id") or None,
    }


def amount_in_minor_units(form: dict[str, str], currency: str, language: str) -> int | str:
    """A suggested amount is sent in the minor unit already; "other" is typed in the
    major unit as people of the page's language write money (5.50 in English, 5,50 in
    French). Unreadable text is passed on for the schema to refuse with its own message:
    so is a number whose separators do not fit the language ("12.50" on a German page
    could mean twelve and a half or twelve hundred and fifty)."""
    chosen = form.get("amount", "")
    if chosen != "other":
        return chosen
    typed = form.get("other_amount", "").strip()
    for space in _SPACES:
        typed = typed.replace(space, "")
    try:
        number = parse_decimal(typed, locale=babel_locale(language), strict=True)
        value = number * minor_units_per_major(currency)
    except (NumberFormatError, ArithmeticError):  # not a number, or too large for Decimal
        return typed
    # "Infinity", "NaN", "1e999999" or a fraction of a penny: left for the schema to refuse.
    if not value.is_finite() or abs(value) > _LARGEST_AMOUNT or value != value.to_integral():
        return typed
    return int(value)
