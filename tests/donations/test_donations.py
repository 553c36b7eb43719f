"""Chipping in: a Checkout Session made once per click, webhook events applied once and
in any order, receipts through the outbox, and honest figures for staff."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from campaign.config import Settings
from campaign.donations.models import Donation, DonationPayment
from campaign.outbox.models import OutboxMessage
from campaign.people.models import Person
from tests.conftest import signer
from tests.donations.conftest import (
    WEBHOOK_SECRET,
    completed_session,
    deliver,
    donor,
    event,
    paid_invoice,
    refunded_charge,
    signed_headers,
)
from tests.fakes.stripe import FakeStripe
from tests.fixtures.emails import confirmation_path, text_body

Campaign = Callable[..., Awaitable[str]]


async def donations(factory: async_sessionmaker[AsyncSession]) -> list[Donation]:
    async with factory() as session:
        return list(await session.scalars(select(Donation).order_by(Donation.id)))


async def payments(factory: async_sessionmaker[AsyncSession]) -> list[DonationPayment]:
    async with factory() as session:
        return list(await session.scalars(select(DonationPayment).order_by(DonationPayment.id)))


async def receipts(factory: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with factory() as session:
        return list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "donation_receipt")
            )
        )


async def start(client: httpx.AsyncClient, slug: str, **fields: Any) -> httpx.Response:
    return await client.post(f"/api/v1/campaigns/{slug}/donations", json=donor(**fields))


async def test_a_one_off_donation_starts_a_checkout_session_carrying_our_id(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    fake_stripe: FakeStripe,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    options = (await client.get(f"/api/v1/campaigns/{slug}/donations/options")).json()
    assert options["enabled"] and options["currency"] == "gbp"
    assert options["frequencies"] == ["one_off", "monthly"]

    answer = await start(client, slug, amount=2500)
    assert answer.status_code == 201, answer.text
    [created] = fake_stripe.sessions
    assert answer.json()["checkout_url"] == created["session"]["url"]
    [donation] = await donations(session_factory)
    assert donation.status == "pending" and donation.amount == 2500
    assert donation.stripe_session_id == created["session"]["id"]
    params = created["params"]
    assert params["mode"] == "payment" and params["submit_type"] == "donate"
    assert params["client_reference_id"] == str(donation.id)
    assert params["metadata"]["donation_id"] == str(donation.id)
    assert params["payment_intent_data"]["metadata"]["donation_id"] == str(donation.id)
    assert params["line_items"][0]["price_data"] == {
        "currency": "gbp",
        "unit_amount": "2500",
        "product_data": {"name": "Donation: Stop arms transfers that fuel war crimes"},
    }
    assert params["customer_email"] == "ada@example.org"
    assert "{CHECKOUT_SESSION_ID}" in params["success_url"]


async def test_a_monthly_donation_is_a_subscription_with_inline_recurring_price(
    client: httpx.AsyncClient, donation_campaign: Campaign, fake_stripe: FakeStripe
) -> None:
    slug = await donation_campaign()
    assert (await start(client, slug, frequency="monthly")).status_code == 201
    params = fake_stripe.sessions[0]["params"]
    assert params["mode"] == "subscription"
    assert params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert params["subscription_data"]["metadata"]["donation_id"] == params["client_reference_id"]
    assert "payment_intent_data" not in params


async def test_a_double_click_makes_one_session(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    fake_stripe: FakeStripe,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    first, second = await asyncio.gather(
        start(client, slug, request_id="form-7f3a9c"), start(client, slug, request_id="form-7f3a9c")
    )
    again = await start(client, slug)  # no request id: the same within ten minutes
    again_too = await start(client, slug)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert again.json() == again_too.json()
    assert len(fake_stripe.sessions) == 2
    assert len(await donations(session_factory)) == 2
    other_amount = await start(client, slug, amount=5000)
    assert other_amount.json() != again.json()


async def test_bad_requests_are_refused_naming_the_field(
    client: httpx.AsyncClient, donation_campaign: Campaign, fake_stripe: FakeStripe
) -> None:
    slug = await donation_campaign(allow_monthly=False)
    for fields, field in (
        ({"amount": 50}, "amount"),
        ({"amount": 100_001}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"frequency": "monthly"}, "frequency"),
        ({"frequency": "weekly"}, "frequency"),
        ({"email": "nobody"}, "email"),
        ({"request_id": "x"}, "request_id"),
    ):
        answer = await start(client, slug, **fields)
        assert answer.status_code == 422, (fields, answer.text)
        assert answer.json()["field"] == field
    assert fake_stripe.requests == 0


async def test_a_provider_failure_is_a_clear_502_and_leaves_nothing_behind(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    fake_stripe: FakeStripe,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    fake_stripe.fail_next(500)
    answer = await start(client, slug)
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/problem+json"
    assert await donations(session_factory) == []
    assert (await start(client, slug)).status_code == 201


async def test_without_a_stripe_key_donations_are_off_and_say_so(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], editor: dict[str, str]
) -> None:
    app = create_app(settings.model_copy(update={"stripe_secret_key": None}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as c:
            from tests.conftest import petition_fields

            await c.post("/api/v1/staff/campaigns", json=petition_fields(), headers=editor)
            slug = petition_fields()["slug"]
            await c.post(f"/api/v1/staff/campaigns/{slug}/publish", headers=editor)
            options = (await c.get(f"/api/v1/campaigns/{slug}/donations/options")).json()
            assert options == {
                "enabled": False,
                "reason": "donations are off on this server",
                "currency": None,
                "suggested_amounts": [],
                "minimum_amount": None,
                "maximum_amount": None,
                "frequencies": [],
            }
            refused = await c.post(f"/api/v1/campaigns/{slug}/donations", json=donor())
            assert refused.status_code == 409
            assert refused.json()["field"] == "donations"
            assert "no payment provider" in refused.json()["detail"]


# -- Webhooks -----------------------------------------------------------------------------


async def test_a_paid_checkout_counts_once_and_sends_one_receipt(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    session_factory: async_sessionmaker[AsyncSession],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
) -> None:
    slug = await donation_campaign()
    await start(client, slug, amount=2500)
    [donation] = await donations(session_factory)
    completed = event("checkout.session.completed", completed_session(donation.id, amount=2500))

    first = await deliver(client, completed)
    replay = await deliver(client, completed)

    assert first.json() == {"applied": True} and replay.json() == {"applied": False}
    [donation] = await donations(session_factory)
    assert donation.status == "paid"
    [payment] = await payments(session_factory)
    assert (payment.amount, payment.payment_intent_id) == (2500, f"pi_{donation.id}")
    assert len(await receipts(session_factory)) == 1
    [receipt] = [e for e in await deliver_emails() if "donation" in str(e["Subject"])]
    assert "£25.00" in text_body(receipt)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Stripe-Signature": "t=1,v1=deadbeef"}, 403),
    ],
)
async def test_unsigned_and_forged_webhooks_change_nothing(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    session_factory: async_sessionmaker[AsyncSession],
    headers: dict[str, str],
    status: int,
) -> None:
    slug = await donation_campaign()
    await start(client, slug)
    [donation] = await donations(session_factory)
    payload = json.dumps(event("checkout.session.completed", completed_session(donation.id)))
    answer = await client.post(
        "/webhooks/stripe", content=payload, headers={"Content-Type": "application/json", **headers}
    )
    assert answer.status_code == status
    assert (await donations(session_factory))[0].status == "pending"


async def test_wrong_secret_stale_and_tampered_webhooks_are_refused(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    await start(client, slug)
    [donation] = await donations(session_factory)
    payload = json.dumps(event("checkout.session.completed", completed_session(donation.id)))
    forged = signed_headers(payload, secret="whsec_someone_else")
    stale = signed_headers(payload, timestamp=int(time.time()) - 3600)
    tampered_body = payload.replace('"amount_total": 1000', '"amount_total": 1')
    for body, headers in (
        (payload, forged),
        (payload, stale),
        (tampered_body, signed_headers(payload)),
    ):
        answer = await client.post("/webhooks/stripe", content=body, headers=headers)
        assert answer.status_code == 403, answer.text
    assert (await donations(session_factory))[0].status == "pending"
    assert WEBHOOK_SECRET not in answer.text


async def test_without_a_webhook_secret_every_event_is_refused(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    app = create_app(settings.model_copy(update={"stripe_webhook_secret": None}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as c:
            payload = json.dumps(event("checkout.session.completed", completed_session(1)))
            answer = await c.post(
                "/webhooks/stripe", content=payload, headers=signed_headers(payload)
            )
            assert answer.status_code == 403


async def test_a_delayed_payment_counts_when_it_settles(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    await start(client, slug)
    await start(client, slug, amount=3000)
    settles, fails = await donations(session_factory)
    for donation in (settles, fails):
        await deliver(
            client, event("checkout.session.completed", completed_session(donation.id, paid=False))
        )
    assert {d.status for d in await donations(session_factory)} == {"processing"}
    assert await receipts(session_factory) == []

    await deliver(
        client,
        event("checkout.session.async_payment_succeeded", completed_session(settles.id)),
    )
    await deliver(
        client,
        event("checkout.session.async_payment_failed", completed_session(fails.id, paid=False)),
    )
    assert [d.status for d in await donations(session_factory)] == ["paid", "failed"]
    assert len(await receipts(session_factory)) == 1


async def test_an_abandoned_checkout_expires(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    await start(client, slug)
    [donation] = await donations(session_factory)
    expired = completed_session(donation.id, paid=False, status="expired")
    await deliver(client, event("checkout.session.expired", expired))
    assert (await donations(session_factory))[0].status == "expired"


async def test_a_refund_before_the_completion_still_ends_refunded(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    await start(client, slug)
    [donation] = await donations(session_factory)
    payment_intent = f"pi_{donation.id}"

    await deliver(client, event("charge.refunded", refunded_charge(payment_intent, 1000, 1000)))
    await deliver(client, event("checkout.session.completed", completed_session(donation.id)))

    assert (await donations(session_factory))[0].status == "refunded"
    [payment] = await payments(session_factory)
    assert payment.donation_id == donation.id and payment.refunded_amount == 1000
    assert await receipts(session_factory) == []


async def test_partial_refunds_and_disputes(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    await start(client, slug)
    await start(client, slug, amount=2000)
    refunded, disputed = await donations(session_factory)
    for donation, amount in ((refunded, 1000), (disputed, 2000)):
        await deliver(
            client,
            event("checkout.session.completed", completed_session(donation.id, amount=amount)),
        )
    await deliver(client, event("charge.refunded", refunded_charge(f"pi_{refunded.id}", 1000, 300)))
    # A late event with a smaller cumulative figure changes nothing.
    await deliver(client, event("charge.refunded", refunded_charge(f"pi_{refunded.id}", 1000, 100)))
    dispute = {"id": "dp_1", "object": "dispute", "payment_intent": f"pi_{disputed.id}"}
    await deliver(client, event("charge.dispute.created", dispute))

    assert [d.status for d in await donations(session_factory)] == [
        "partially_refunded",
        "disputed",
    ]
    assert [p.refunded_amount for p in await payments(session_factory)] == [300, 0]


async def test_a_monthly_donation_from_first_payment_to_cancellation(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    editor: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    await start(client, slug, frequency="monthly", amount=800)
    [donation] = await donations(session_factory)
    subscription = f"sub_{donation.id}"

    # The first invoice can arrive before the completion: it still finds the donation.
    await deliver(
        client, event("invoice.paid", paid_invoice(donation.id, subscription, "in_1", "pi_m1", 800))
    )
    checkout = completed_session(donation.id, mode="subscription", subscription=subscription)
    checkout["payment_intent"] = None
    await deliver(client, event("checkout.session.completed", checkout))
    await deliver(
        client, event("invoice.paid", paid_invoice(donation.id, subscription, "in_2", "pi_m2", 800))
    )
    [donation] = await donations(session_factory)
    assert donation.status == "active" and donation.stripe_subscription_id == subscription
    assert [p.invoice_id for p in await payments(session_factory)] == ["in_1", "in_2"]
    assert len(await receipts(session_factory)) == 2

    # A refund of one month's payment leaves the gift active.
    await deliver(client, event("charge.refunded", refunded_charge("pi_m2", 800, 800)))
    failed = paid_invoice(donation.id, subscription, "in_3", "pi_m3", 800)
    await deliver(client, event("invoice.payment_failed", failed))
    assert (await donations(session_factory))[0].status == "past_due"
    summary = (
        await client.get(f"/api/v1/staff/campaigns/{slug}/donations", headers=editor)
    ).json()["summary"]
    assert summary["payments_refunded"] == 1
    assert summary["totals"] == [
        {"currency": "gbp", "payments": 2, "received": 1600, "refunded": 800, "net": 800}
    ]

    ended = {"id": subscription, "object": "subscription", "metadata": {}, "status": "canceled"}
    await deliver(client, event("customer.subscription.deleted", ended))
    [donation] = await donations(session_factory)
    assert donation.status == "cancelled" and donation.ended_at is not None


async def test_the_donation_belongs_to_whoever_paid(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    await start(client, slug)  # typed as ada@example.org
    [donation] = await donations(session_factory)
    checkout = completed_session(
        donation.id,
        customer_details={
            "email": "grace@example.org",
            "name": "Grace Hopper",
            "address": {"country": "US"},
        },
    )
    await deliver(client, event("checkout.session.completed", checkout))
    [donation] = await donations(session_factory)
    async with session_factory() as session:
        payer = await session.get_one(Person, donation.person_id)
    assert (payer.email, payer.given_name, payer.family_name) == (
        "grace@example.org",
        "Grace",
        "Hopper",
    )
    [receipt] = await receipts(session_factory)
    assert receipt.to_address == "grace@example.org"


async def test_staff_figures_include_the_share_of_signers_who_gave(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    editor: dict[str, str],
    viewer: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
) -> None:
    slug = await donation_campaign()
    for address in ("ada@example.org", "grace@example.org"):
        await client.post(f"/api/v1/campaigns/{slug}/signatures", json=signer(email=address))
    for email in await deliver_emails():
        await client.get(confirmation_path(email))
    await start(client, slug, amount=1500)
    await start(client, slug, amount=700, email="someone.else@example.org")
    ada, other = await donations(session_factory)
    for donation, payer in ((ada, "ada@example.org"), (other, "someone.else@example.org")):
        checkout = completed_session(
            donation.id, amount=donation.amount, customer_details={"email": payer}
        )
        await deliver(client, event("checkout.session.completed", checkout))

    refused = await client.get(f"/api/v1/staff/campaigns/{slug}/donations")
    assert refused.status_code == 401
    page = (await client.get(f"/api/v1/staff/campaigns/{slug}/donations", headers=viewer)).json()
    summary = page["summary"]
    assert summary["donations_by_status"] == {"paid": 2}
    assert summary["donors_one_off"] == 2 and summary["donors_monthly_active"] == 0
    assert summary["totals"] == [
        {"currency": "gbp", "payments": 2, "received": 2200, "refunded": 0, "net": 2200}
    ]
    assert (summary["confirmed_signers"], summary["signers_who_gave"]) == (2, 1)
    assert summary["share_of_signers_who_gave"] == 0.5
    assert len(page["donations"]) == 2


async def test_the_same_event_twice_at_once_changes_state_once(
    client: httpx.AsyncClient,
    donation_campaign: Campaign,
    session_factory: async_sessionmaker[AsyncSession],
    on_postgres: bool,
) -> None:
    if not on_postgres:
        pytest.skip("SQLite serialises writers anyway")
    slug = await donation_campaign()
    await start(client, slug)
    [donation] = await donations(session_factory)
    completed = event("checkout.session.completed", completed_session(donation.id))
    answers = await asyncio.gather(*(deliver(client, completed) for _ in range(4)))
    assert sorted(a.json()["applied"] for a in answers) == [False, False, False, True]
    assert len(await receipts(session_factory)) == 1
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(DonationPayment)) == 1
