"""Chipping in after confirming a signature: the form on the confirmation page, and the
page route that starts a Checkout and sends the donor there."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.donations.models import Donation
from tests.donations import conftest as donations
from tests.fakes.stripe import FakeStripe
from tests.fixtures.emails import confirmation_path
from tests.pages.forms import DONOR_TOKEN, REQUEST_ID, form_token, signing_form

# The donation tests' fixtures: a fake Stripe, settings that use it, a campaign taking gifts.
fake_stripe = donations.fake_stripe
settings = donations.settings
donation_campaign = donations.donation_campaign

Deliver = Callable[[], Awaitable[list[Any]]]


async def _confirmed_page(client: httpx.AsyncClient, slug: str, deliver: Deliver) -> str:
    token = form_token((await client.get(f"/c/{slug}")).text)
    assert (await client.post(f"/c/{slug}/sign", data=signing_form(token))).status_code == 303
    [email] = await deliver()
    page = await client.get(confirmation_path(email))
    assert page.status_code == 200
    return page.text


def _chip_in_form(page: str, **fields: str) -> dict[str, str]:
    donor, request_id = DONOR_TOKEN.search(page), REQUEST_ID.search(page)
    assert donor and request_id, "no chip-in form on the page"
    return {"donor_token": donor.group(1), "request_id": request_id.group(1), **fields}


async def _donations(factory: async_sessionmaker[AsyncSession]) -> list[Donation]:
    async with factory() as session:
        return list(await session.scalars(select(Donation).order_by(Donation.id)))


async def test_after_confirming_a_signer_can_chip_in_with_two_clicks(
    client: httpx.AsyncClient,
    donation_campaign: Callable[..., Awaitable[str]],
    deliver_emails: Deliver,
    fake_stripe: FakeStripe,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign(allow_monthly=True)
    page = await _confirmed_page(client, slug, deliver_emails)
    assert "Chip in" in page
    assert "£10.00" in page
    assert "Every month" in page
    assert "ada@example.org" not in re.sub(r'name="donor_token" value="[^"]+"', "", page)

    form = _chip_in_form(page, amount="1000", frequency="one_off")
    answer = await client.post(f"/c/{slug}/donate", data=form)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("https://checkout.stripe.test/c/pay/")
    again = await client.post(f"/c/{slug}/donate", data=form)  # a double click
    assert again.headers["location"] == answer.headers["location"]
    [donation] = await _donations(session_factory)
    assert (donation.amount, donation.frequency) == (1000, "one_off")
    assert len(fake_stripe.sessions) == 1


async def test_another_amount_is_typed_in_pounds(
    client: httpx.AsyncClient,
    donation_campaign: Callable[..., Awaitable[str]],
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    page = await _confirmed_page(client, slug, deliver_emails)
    form = _chip_in_form(page, amount="other", other_amount="12.50", frequency="one_off")
    assert (await client.post(f"/c/{slug}/donate", data=form)).status_code == 303
    [donation] = await _donations(session_factory)
    assert donation.amount == 1250


async def test_a_wrong_amount_is_shown_next_to_its_field(
    client: httpx.AsyncClient,
    donation_campaign: Callable[..., Awaitable[str]],
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    page = await _confirmed_page(client, slug, deliver_emails)
    tries = [
        ("0.50", "from 100 to 100000"),
        ("lots", "Enter an amount"),
        ("12.345", "Enter an amount"),
        ("Infinity", "Enter an amount"),
        ("NaN", "Enter an amount"),
        ("1e999999", "Enter an amount"),
    ]
    for other, message in tries:
        form = _chip_in_form(page, amount="other", other_amount=other, frequency="one_off")
        answer = await client.post(f"/c/{slug}/donate", data=form)
        assert answer.status_code == 422
        assert 'id="amount-error"' in answer.text
        assert message in answer.text
        assert f'value="{other}"' in answer.text
    assert await _donations(session_factory) == []


async def test_a_forged_donor_token_starts_nothing(
    client: httpx.AsyncClient,
    donation_campaign: Callable[..., Awaitable[str]],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    form = {"donor_token": "forged", "amount": "1000", "frequency": "one_off"}
    answer = await client.post(f"/c/{slug}/donate", data=form)
    assert answer.status_code == 403
    assert "This form could not be sent" in answer.text
    assert "security token" in answer.text
    assert await _donations(session_factory) == []


async def test_when_stripe_fails_nothing_is_kept_and_the_page_says_so(
    client: httpx.AsyncClient,
    donation_campaign: Callable[..., Awaitable[str]],
    deliver_emails: Deliver,
    fake_stripe: FakeStripe,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await donation_campaign()
    page = await _confirmed_page(client, slug, deliver_emails)
    fake_stripe.fail_next(500)
    answer = await client.post(
        f"/c/{slug}/donate", data=_chip_in_form(page, amount="1000", frequency="one_off")
    )
    assert answer.status_code == 502
    assert "Something went wrong" in answer.text  # the 502, in words
    assert await _donations(session_factory) == []
