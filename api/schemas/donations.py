"""What the donations API answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from campaign.donations.models import Donation
from campaign.donations.queries import DonationSummary
from campaign.donations.service import DonationOffer, DonationState


class DonationOptions(BaseModel):
    """What the donation form may offer; `enabled` false says why in `reason`."""

    enabled: bool
    reason: str | None = None
    currency: str | None = None
    suggested_amounts: list[int] = []
    minimum_amount: int | None = None
    maximum_amount: int | None = None
    frequencies: list[str] = []

    @classmethod
    def of(cls, offer: DonationOffer) -> DonationOptions:
        setup = offer.setup
        if not offer.enabled or setup is None:
            return cls(enabled=False, reason=offer.reason)
        return cls(
            enabled=True,
            currency=setup.currency,
            suggested_amounts=setup.suggested_amounts,
            minimum_amount=setup.minimum_amount,
            maximum_amount=setup.maximum_amount,
            frequencies=offer.frequencies,
        )


class CheckoutStarted(BaseModel):
    checkout_url: str


class DonationSetupView(BaseModel):
    campaign_id: int
    currency: str
    minimum_amount: int
    maximum_amount: int
    suggested_amounts: list[int]
    allow_one_off: bool
    allow_monthly: bool
    # Whether the campaign takes donations now; when not, `reason` says why (no payment
    # provider on this server, the setup switched off, the campaign not open).
    enabled: bool
    reason: str | None
    # The setup's own switch as last saved (`enabled` in what staff send).
    switched_on: bool
    updated_at: datetime

    @classmethod
    def of(cls, state: DonationState) -> DonationSetupView:
        setup = state.setup
        assert setup is not None, "a setup view needs a setup"
        return cls(
            campaign_id=setup.campaign_id,
            currency=setup.currency,
            minimum_amount=setup.minimum_amount,
            maximum_amount=setup.maximum_amount,
            suggested_amounts=setup.suggested_amounts,
            allow_one_off=setup.allow_one_off,
            allow_monthly=setup.allow_monthly,
            enabled=state.enabled,
            reason=state.reason,
            switched_on=setup.enabled,
            updated_at=setup.updated_at,
        )


class StaffDonationView(BaseModel):
    id: int
    person_id: int
    frequency: str
    amount: int
    currency: str
    status: str
    stripe_session_id: str | None
    stripe_subscription_id: str | None
    created_at: datetime
    completed_at: datetime | None
    ended_at: datetime | None

    @classmethod
    def of(cls, donation: Donation) -> StaffDonationView:
        return cls.model_validate(donation, from_attributes=True)


class CurrencyTotalsView(BaseModel):
    currency: str
    payments: int
    received: int
    refunded: int
    net: int


class DonationSummaryView(BaseModel):
    donations_by_status: dict[str, int]
    donors_one_off: int
    donors_monthly_active: int
    payments_refunded: int
    payments_disputed: int
    totals: list[CurrencyTotalsView]
    confirmed_signers: int
    signers_who_gave: int
    share_of_signers_who_gave: float | None

    @classmethod
    def of(cls, summary: DonationSummary) -> DonationSummaryView:
        return cls(
            donations_by_status=summary.donations_by_status,
            donors_one_off=summary.donors_one_off,
            donors_monthly_active=summary.donors_monthly_active,
            payments_refunded=summary.payments_refunded,
            payments_disputed=summary.payments_disputed,
            totals=[
                CurrencyTotalsView(
                    currency=t.currency,
                    payments=t.payments,
                    received=t.received,
                    refunded=t.refunded,
                    net=t.net,
                )
                for t in summary.totals
            ],
            confirmed_signers=summary.confirmed_signers,
            signers_who_gave=summary.signers_who_gave,
            share_of_signers_who_gave=summary.share_of_signers_who_gave,
        )


class StaffDonationPage(BaseModel):
    summary: DonationSummaryView
    donations: list[StaffDonationView]
