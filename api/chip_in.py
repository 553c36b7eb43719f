"""Chipping in after a confirmed signature: the form on the confirmation page, which
carries the signer's details signed so that giving takes two clicks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.form_tokens import Donor, issue_donor_token
from api.page_forms import FormState
from api.pages import templates
from api.schemas.donations import DonationOptions
from campaign.campaigns.models import Campaign
from campaign.config import Settings
from campaign.donations.money import format_amount, minor_units_per_major
from campaign.donations.service import donation_offer
from campaign.signatures.models import Signature

_FREQUENCY_LABELS = {"one_off": "Once", "monthly": "Every month"}
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


def chip_in_form(options: DonationOptions, donor_token: str, form: FormState) -> ChipIn:
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
        chip_in = chip_in_form(options, token, FormState())
    return templates.TemplateResponse(
        request, "confirmed.html", {"campaign": campaign, "chip_in": chip_in}
    )


def donation_fields(form: dict[str, str], donor: Donor, options: DonationOptions) -> dict[str, Any]:
    return {
        "amount": amount_in_minor_units(form, options.currency or ""),
        "frequency": form.get("frequency", ""),
        "given_name": donor.given_name,
        "family_name": donor.family_name,
        "email": donor.email,
        "country": donor.country,
        "request_id": form.get("request_id") or None,
    }


def amount_in_minor_units(form: dict[str, str], currency: str) -> int | str:
    """A suggested amount is sent in the minor unit already; "other" is typed in the
    major unit (5 or 5.50), as people write money. Unreadable text is passed on for the
    schema to refuse with its own message."""
    chosen = form.get("amount", "")
    if chosen != "other":
        return chosen
    typed = form.get("other_amount", "").strip().replace(",", "")
    try:
        value = Decimal(typed) * minor_units_per_major(currency)
    except ArithmeticError:  # not a number, or too large for Decimal (overflow)
        return typed
    # "Infinity", "NaN", "1e999999" or a fraction of a penny: left for the schema to refuse.
    if not value.is_finite() or abs(value) > _LARGEST_AMOUNT or value != value.to_integral():
        return typed
    return int(value)
