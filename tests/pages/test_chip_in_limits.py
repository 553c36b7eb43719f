"""The chip-in form over the limit on starting donations: the donor reads why, beside the
amount, and no Checkout session is made."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from campaign.config import Settings
from tests.donations import conftest as donations
from tests.fakes.stripe import API_KEY, FakeStripe
from tests.pages.test_chip_in import _chip_in_form, _confirmed_page

fake_stripe = donations.fake_stripe
donation_campaign = donations.donation_campaign


@pytest.fixture
def settings(settings: Settings, fake_stripe: FakeStripe) -> Settings:
    return settings.model_copy(
        update={
            "stripe_secret_key": SecretStr(API_KEY),
            "stripe_webhook_secret": SecretStr(donations.WEBHOOK_SECRET),
            "stripe_api_base": fake_stripe.url,
            "donation_rate_limit": "2/hour",
        }
    )


async def test_the_third_start_from_one_network_is_refused_beside_the_amount(
    client: httpx.AsyncClient,
    donation_campaign: Callable[..., Awaitable[str]],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
    fake_stripe: FakeStripe,
) -> None:
    slug = await donation_campaign()
    page = await _confirmed_page(client, slug, deliver_emails)
    answers = []
    for amount in ("500", "1000", "2500"):
        form = _chip_in_form(page, amount=amount, frequency="one_off")
        form["request_id"] = f"request-{amount}"
        answers.append(await client.post(f"/c/{slug}/donate", data=form))
    assert [a.status_code for a in answers] == [303, 303, 429]
    refused = answers[-1].text
    assert 'id="amount-error"' in refused
    assert "too many donations were started from here" in refused.lower()
    assert len(fake_stripe.sessions) == 2
