"""Donations: a campaign's setup, and starting a donation (a pending row and a Stripe
Checkout Session, made once however often the button is pressed)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignState
from campaign.config import Settings
from campaign.db import insert_for, save_one_per_campaign, utcnow
from campaign.donations.gateway import StripeGateway
from campaign.donations.models import Donation, DonationSetup, DonationStatus, Frequency
from campaign.donations.schemas import DonationInput, DonationSetupInput
from campaign.errors import InvalidInput, InvalidState
from campaign.i18n import gettext_noop as _
from campaign.people.service import upsert_person

# Without a request id from the page, the same donation within this many seconds is
# taken for a repeated click.
_SAME_CLICK_WINDOW_SECONDS = 600


async def get_setup(session: AsyncSession, campaign_id: int) -> DonationSetup | None:
    return await session.get(DonationSetup, campaign_id)


async def save_setup(
    session: AsyncSession, campaign: Campaign, data: DonationSetupInput
) -> DonationSetup:
    values = {**data.model_dump(), "updated_at": utcnow()}
    return await save_one_per_campaign(session, DonationSetup, campaign.id, values)


# Why a campaign takes no donations, as staff read it (the setup page and the staff API).
NO_PROVIDER = "off: no payment provider configured"
NO_SETUP = "off: donations are not set up for this campaign"
SWITCHED_OFF = "off: switched off in this setup"
NOT_PUBLISHED = "off until the campaign is published"
CLOSED = "off: the campaign is closed"


@dataclass(frozen=True)
class DonationState:
    """Whether a campaign takes donations now and, when it does not, the first reason why.
    The one answer to that question: the public form, the staff page and the staff API
    all read it from `donation_state`."""

    setup: DonationSetup | None
    reason: str | None  # None: donations are on

    @property
    def enabled(self) -> bool:
        return self.reason is None

    @property
    def public_reason(self) -> str | None:
        """What a supporter is told: nothing of how this server or campaign is set up."""
        if self.reason is None:
            return None
        if self.reason == NO_PROVIDER:
            return "donations are off on this server"
        return _("this campaign is not taking donations")


async def donation_state(
    session: AsyncSession, campaign: Campaign, *, payments_on: bool
) -> DonationState:
    """`payments_on`: this server has a payment provider (a Stripe key) configured."""
    setup = await get_setup(session, campaign.id)
    return DonationState(setup=setup, reason=_why_off(campaign, setup, payments_on=payments_on))


def _why_off(campaign: Campaign, setup: DonationSetup | None, *, payments_on: bool) -> str | None:
    if not payments_on:
        return NO_PROVIDER
    if setup is None:
        return NO_SETUP
    if not setup.enabled:
        return SWITCHED_OFF
    if campaign.state == CampaignState.DRAFT:
        return NOT_PUBLISHED
    if campaign.state == CampaignState.CLOSED:
        return CLOSED
    return None


@dataclass(frozen=True)
class DonationOffer:
    """What a campaign's donation form may offer; when `enabled` is false, `reason` says
    why, in words a supporter can read."""

    enabled: bool
    reason: str | None = None
    setup: DonationSetup | None = None

    @property
    def frequencies(self) -> list[str]:
        if self.setup is None:
            return []
        allowed = (
            (Frequency.ONE_OFF, self.setup.allow_one_off),
            (Frequency.MONTHLY, self.setup.allow_monthly),
        )
        return [str(name) for name, on in allowed if on]


async def donation_offer(
    session: AsyncSession, campaign: Campaign, *, payments_on: bool
) -> DonationOffer:
    state = await donation_state(session, campaign, payments_on=payments_on)
    if not state.enabled:
        return DonationOffer(enabled=False, reason=state.public_reason)
    return DonationOffer(enabled=True, setup=state.setup)


@dataclass(frozen=True)
class CheckoutLinks:
    success_url: str  # may hold Stripe's {CHECKOUT_SESSION_ID} placeholder
    cancel_url: str


def checkout_links(settings: Settings, campaign: Campaign) -> CheckoutLinks:
    """Where Checkout sends the donor back: the configured pages, or this service's."""
    return CheckoutLinks(
        success_url=settings.donation_success_url
        or f"{settings.public_url}/donations/thanks?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=settings.donation_cancel_url
        or f"{settings.public_url}/api/v1/campaigns/{campaign.slug}",
    )


async def start_donation(
    session: AsyncSession,
    campaign: Campaign,
    data: DonationInput,
    gateway: StripeGateway | None,
    links: CheckoutLinks,
) -> Donation:
    """A pending donation and its Checkout Session, in the caller's transaction. The same
    request twice (a double click) gives the same donation and the same session."""
    if gateway is None:
        raise InvalidState(
            "donations are off: this server has no payment provider configured",
            field="donations",
        )
    state = await donation_state(session, campaign, payments_on=True)
    if not state.enabled or state.setup is None:
        raise InvalidState(_("this campaign is not taking donations"), field="donations")
    setup = state.setup
    _check_against_setup(setup, data)

    person_id = await upsert_person(
        session,
        data.email,
        given_name=data.given_name,
        family_name=data.family_name,
        country=data.country,
        postcode=None,
    )
    key = _request_key(campaign.id, data)
    inserted = await session.execute(
        insert_for(session, Donation.__table__)
        .values(
            campaign_id=campaign.id,
            person_id=person_id,
            frequency=data.frequency,
            amount=data.amount,
            currency=setup.currency,
            status=DonationStatus.PENDING,
            request_key=key,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "request_key"])
        .returning(Donation.__table__.c.id)
    )
    new_id = inserted.scalar_one_or_none()
    donation = await session.scalar(
        select(Donation)
        .where(Donation.campaign_id == campaign.id, Donation.request_key == key)
        .with_for_update()
    )
    assert donation is not None
    if new_id is None and donation.checkout_url:
        return donation  # the first click's session
    checkout = await gateway.create_checkout_session(
        checkout_params(campaign, donation, data.email.typed, links),
        idempotency_key=f"donation-{donation.id}-checkout",
    )
    donation.stripe_session_id = checkout.id
    donation.checkout_url = checkout.url
    await session.flush()
    return donation


def _check_against_setup(setup: DonationSetup, data: DonationInput) -> None:
    allowed = {Frequency.ONE_OFF: setup.allow_one_off, Frequency.MONTHLY: setup.allow_monthly}
    if not allowed[data.frequency]:
        raise InvalidInput(
            f"this campaign does not take {data.frequency} donations", field="frequency"
        )
    if not setup.minimum_amount <= data.amount <= setup.maximum_amount:
        raise InvalidInput(
            f"the amount must be from {setup.minimum_amount} to {setup.maximum_amount} "
            f"(in the smallest unit of {setup.currency.upper()})",
            field="amount",
        )


def _request_key(campaign_id: int, data: DonationInput) -> str:
    moment = data.request_id or str(int(utcnow().timestamp()) // _SAME_CLICK_WINDOW_SECONDS)
    parts = (str(campaign_id), data.email.normalised, str(data.amount), data.frequency, moment)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def checkout_params(
    campaign: Campaign, donation: Donation, email: str, links: CheckoutLinks
) -> dict[str, Any]:
    """The Checkout Session: our donation id in client_reference_id and in metadata on
    the session and on what it creates (the PaymentIntent or the Subscription), since
    Stripe copies neither across."""
    metadata = {"donation_id": str(donation.id), "campaign_id": str(campaign.id)}
    price_data: dict[str, Any] = {
        "currency": donation.currency,
        "unit_amount": donation.amount,
        "product_data": {"name": f"Donation: {campaign.title}"[:250]},
    }
    params: dict[str, Any] = {
        "submit_type": "donate",
        "line_items": [{"quantity": 1, "price_data": price_data}],
        "success_url": links.success_url,
        "cancel_url": links.cancel_url,
        "customer_email": email,
        "client_reference_id": str(donation.id),
        "metadata": metadata,
    }
    if donation.frequency == Frequency.MONTHLY:
        price_data["recurring"] = {"interval": "month"}
        params["mode"] = "subscription"
        params["subscription_data"] = {"metadata": metadata}
    else:
        params["mode"] = "payment"
        params["payment_intent_data"] = {"metadata": metadata}
    return params
