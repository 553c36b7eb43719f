"""Stripe's webhook events, applied to donations. Each event is stored once (a replay
changes nothing); payments are keyed by their PaymentIntent, which every event about
them names, so events arriving in any order end in the same state: a refund seen before
the payment it refunds still leaves the donation refunded, with no receipt sent."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign
from campaign.db import insert_for, utcnow
from campaign.donations.models import (
    Donation,
    DonationPayment,
    DonationStatus,
    Frequency,
    StripeEvent,
)
from campaign.donations.money import format_amount
from campaign.outbox.models import EmailKind
from campaign.outbox.service import enqueue_email
from campaign.people.addresses import InvalidEmail, parse_email
from campaign.people.models import Person
from campaign.people.service import upsert_person

logger = logging.getLogger(__name__)

Event = dict[str, Any]


async def apply_event(session: AsyncSession, event: Event) -> bool:
    """Apply one verified event. False if it was seen before (nothing changes)."""
    if not await _record_once(session, event):
        return False
    handler = _HANDLERS.get(str(event.get("type")))
    if handler is not None:
        await handler(session, event["data"]["object"])
    return True


async def _record_once(session: AsyncSession, event: Event) -> bool:
    # Two deliveries of one event at once: the second waits on the unique index for the
    # first's commit, then finds the id taken.
    inserted = await session.execute(
        insert_for(session, StripeEvent.__table__)
        .values(event_id=str(event["id"]), type=str(event.get("type", "")), received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(StripeEvent.__table__.c.id)
    )
    return inserted.scalar_one_or_none() is not None


# -- Checkout -----------------------------------------------------------------------------


async def _checkout_completed(session: AsyncSession, checkout: dict[str, Any]) -> None:
    donation = await _donation_of_checkout(session, checkout)
    if donation is None:
        return
    donation.completed_at = donation.completed_at or utcnow()
    donation.stripe_customer_id = _id_of(checkout.get("customer")) or donation.stripe_customer_id
    await _attach_to_payer(session, donation, checkout.get("customer_details") or {})
    if donation.frequency == Frequency.MONTHLY:
        subscription = _id_of(checkout.get("subscription"))
        if subscription:
            donation.stripe_subscription_id = subscription
        if checkout.get("payment_status") == "paid" and donation.status == DonationStatus.PENDING:
            donation.status = DonationStatus.ACTIVE
        return
    if checkout.get("payment_status") == "paid":
        await _one_off_paid(session, donation, checkout)
    elif donation.status == DonationStatus.PENDING:
        donation.status = DonationStatus.PROCESSING  # a bank debit, say: settles later


async def _async_payment_succeeded(session: AsyncSession, checkout: dict[str, Any]) -> None:
    donation = await _donation_of_checkout(session, checkout)
    if donation is None:
        return
    if donation.frequency == Frequency.MONTHLY:
        if donation.status in (DonationStatus.PENDING, DonationStatus.PROCESSING):
            donation.status = DonationStatus.ACTIVE
        return
    await _one_off_paid(session, donation, checkout)


async def _async_payment_failed(session: AsyncSession, checkout: dict[str, Any]) -> None:
    donation = await _donation_of_checkout(session, checkout)
    if donation is not None and donation.status in (
        DonationStatus.PENDING,
        DonationStatus.PROCESSING,
    ):
        donation.status = DonationStatus.FAILED


async def _checkout_expired(session: AsyncSession, checkout: dict[str, Any]) -> None:
    donation = await _donation_of_checkout(session, checkout)
    if donation is not None and donation.status == DonationStatus.PENDING:
        donation.status = DonationStatus.EXPIRED


async def _one_off_paid(
    session: AsyncSession, donation: Donation, checkout: dict[str, Any]
) -> None:
    payment_intent = _id_of(checkout.get("payment_intent"))
    if not payment_intent:
        logger.warning("paid Checkout Session %s names no PaymentIntent", checkout.get("id"))
        return
    payment = await _payment(session, payment_intent)
    payment.donation_id = donation.id
    payment.amount = int(checkout.get("amount_total") or donation.amount)
    payment.currency = str(checkout.get("currency") or donation.currency)
    payment.paid_at = payment.paid_at or utcnow()
    await _settle(session, donation, payment)


# -- Subscriptions ------------------------------------------------------------------------


async def _invoice_paid(session: AsyncSession, invoice: dict[str, Any]) -> None:
    """Each month's payment, the first included."""
    donation = await _donation_of_invoice(session, invoice)
    if donation is None:
        return
    payment = await _payment(session, _payment_intent_of_invoice(invoice))
    payment.donation_id = donation.id
    payment.invoice_id = str(invoice.get("id"))
    payment.amount = int(invoice.get("amount_paid") or donation.amount)
    payment.currency = str(invoice.get("currency") or donation.currency)
    payment.paid_at = payment.paid_at or utcnow()
    if donation.status in (
        DonationStatus.PENDING,
        DonationStatus.PROCESSING,
        DonationStatus.PAST_DUE,
    ):
        donation.status = DonationStatus.ACTIVE
    await _settle(session, donation, payment)


async def _invoice_payment_failed(session: AsyncSession, invoice: dict[str, Any]) -> None:
    donation = await _donation_of_invoice(session, invoice)
    if donation is not None and donation.status == DonationStatus.ACTIVE:
        donation.status = DonationStatus.PAST_DUE


async def _subscription_deleted(session: AsyncSession, subscription: dict[str, Any]) -> None:
    donation = await _donation_by(
        session,
        donation_id=(subscription.get("metadata") or {}).get("donation_id"),
        subscription_id=str(subscription.get("id")),
    )
    if donation is not None:
        donation.status = DonationStatus.CANCELLED
        donation.ended_at = utcnow()


# -- Refunds and disputes -----------------------------------------------------------------


async def _charge_refunded(session: AsyncSession, charge: dict[str, Any]) -> None:
    payment_intent = _id_of(charge.get("payment_intent"))
    if not payment_intent:
        return
    payment = await _payment(session, payment_intent)
    # Cumulative on the charge, so a late, smaller figure can't undo a larger one.
    payment.refunded_amount = max(payment.refunded_amount, int(charge.get("amount_refunded", 0)))
    payment.amount = payment.amount or int(charge.get("amount", 0)) or None
    await _settle_if_known(session, payment)


async def _dispute_created(session: AsyncSession, dispute: dict[str, Any]) -> None:
    payment_intent = _id_of(dispute.get("payment_intent"))
    if not payment_intent:
        return
    payment = await _payment(session, payment_intent)
    payment.disputed = True
    await _settle_if_known(session, payment)


# -- Shared steps -------------------------------------------------------------------------


async def _payment(session: AsyncSession, payment_intent: str) -> DonationPayment:
    """The payment row for a PaymentIntent, locked, made if this is the first event."""
    await session.execute(
        insert_for(session, DonationPayment.__table__)
        .values(
            payment_intent_id=payment_intent, refunded_amount=0, disputed=False, receipt_sent=False
        )
        .on_conflict_do_nothing(index_elements=["payment_intent_id"])
    )
    payment = await session.scalar(
        select(DonationPayment)
        .where(DonationPayment.payment_intent_id == payment_intent)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert payment is not None
    return payment


async def _settle_if_known(session: AsyncSession, payment: DonationPayment) -> None:
    if payment.donation_id is None:
        await session.flush()
        return  # the payment's own event will settle it when it comes
    donation = await session.get(Donation, payment.donation_id, with_for_update=True)
    if donation is not None:
        await _settle(session, donation, payment)


async def _settle(session: AsyncSession, donation: Donation, payment: DonationPayment) -> None:
    """Bring the donation's status in line with what is known of the payment, and send
    the receipt once for money that arrived and was not given back."""
    if donation.frequency == Frequency.ONE_OFF and payment.paid_at is not None:
        donation.status = _one_off_status(payment)
    received = payment.paid_at is not None and payment.amount is not None
    refunded = payment.amount is not None and payment.refunded_amount >= payment.amount
    if received and not refunded and not payment.receipt_sent:
        payment.receipt_sent = True
        await _send_receipt(session, donation, payment)
    await session.flush()


def _one_off_status(payment: DonationPayment) -> DonationStatus:
    if payment.disputed:
        return DonationStatus.DISPUTED
    if payment.amount is not None and payment.refunded_amount >= payment.amount:
        return DonationStatus.REFUNDED
    if payment.refunded_amount > 0:
        return DonationStatus.PARTIALLY_REFUNDED
    return DonationStatus.PAID


async def _send_receipt(
    session: AsyncSession, donation: Donation, payment: DonationPayment
) -> None:
    person = await session.get_one(Person, donation.person_id)
    campaign = await session.get_one(Campaign, donation.campaign_id)
    assert payment.amount is not None
    await enqueue_email(
        session,
        EmailKind.DONATION_RECEIPT,
        to_address=person.email,
        to_name=f"{person.given_name} {person.family_name}",
        context={
            "given_name": person.given_name,
            "campaign_title": campaign.title,
            "amount": format_amount(
                payment.amount, payment.currency or donation.currency, campaign.language
            ),
            "monthly": donation.frequency == Frequency.MONTHLY,
            "date": utcnow().date().isoformat(),
            "reference": payment.payment_intent_id,
        },
        campaign_id=donation.campaign_id,
    )


async def _attach_to_payer(
    session: AsyncSession, donation: Donation, details: dict[str, Any]
) -> None:
    """The donation belongs to whoever paid: the address given at Stripe's checkout, if
    it is not the one typed into our form."""
    try:
        paid_with = parse_email(str(details.get("email") or ""))
    except InvalidEmail:
        return
    person = await session.get_one(Person, donation.person_id)
    if paid_with.normalised == person.email_normalised:
        return
    given, _, family = str(details.get("name") or "").strip().rpartition(" ")
    country = ((details.get("address") or {}).get("country") or person.country).upper()
    donation.person_id = await upsert_person(
        session,
        paid_with,
        given_name=(given or person.given_name)[:100],
        family_name=(family or person.family_name)[:100],
        country=country[:2],
        postcode=None,
    )


async def _donation_of_checkout(session: AsyncSession, checkout: dict[str, Any]) -> Donation | None:
    donation_id = checkout.get("client_reference_id") or (checkout.get("metadata") or {}).get(
        "donation_id"
    )
    donation = await _donation_by(session, donation_id=donation_id)
    if donation is None:
        logger.warning("Checkout Session %s is not for one of our donations", checkout.get("id"))
    return donation


async def _donation_of_invoice(session: AsyncSession, invoice: dict[str, Any]) -> Donation | None:
    # Invoices name their subscription under parent.subscription_details (API 2025+).
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    subscription_id = _id_of(details.get("subscription"))
    donation = await _donation_by(
        session,
        donation_id=(details.get("metadata") or {}).get("donation_id"),
        subscription_id=subscription_id,
    )
    if donation is None:
        logger.warning("invoice %s is not for one of our donations", invoice.get("id"))
        return None
    if subscription_id and donation.stripe_subscription_id is None:
        donation.stripe_subscription_id = subscription_id  # before checkout.session.completed
    return donation


async def _donation_by(
    session: AsyncSession, *, donation_id: object = None, subscription_id: str | None = None
) -> Donation | None:
    if donation_id is not None and str(donation_id).isdigit():
        donation = await session.get(Donation, int(str(donation_id)), with_for_update=True)
        if donation is not None:
            return donation
    if subscription_id:
        return await session.scalar(
            select(Donation)
            .where(Donation.stripe_subscription_id == subscription_id)
            .with_for_update()
        )
    return None


def _payment_intent_of_invoice(invoice: dict[str, Any]) -> str:
    """The invoice's PaymentIntent (in `payments` since API 2025-03-31), or the invoice
    itself when it names none."""
    for entry in (invoice.get("payments") or {}).get("data") or []:
        payment_intent = _id_of((entry.get("payment") or {}).get("payment_intent"))
        if payment_intent:
            return payment_intent
    return _id_of(invoice.get("payment_intent")) or str(invoice["id"])


def _id_of(value: object) -> str | None:
    """An id, whether Stripe sent it bare or as an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


_HANDLERS: dict[str, Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _async_payment_succeeded,
    "checkout.session.async_payment_failed": _async_payment_failed,
    "checkout.session.expired": _checkout_expired,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
    "customer.subscription.deleted": _subscription_deleted,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
}

HANDLED_EVENTS = frozenset(_HANDLERS)
