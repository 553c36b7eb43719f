"""Starting a donation is limited per client network and per campaign: each start is a
Stripe Checkout session, and a script starting thousands is testing stolen cards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from campaign.config import Settings
from tests.donations.conftest import donor
from tests.fakes.stripe import FakeStripe


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"donation_rate_limit": "3/hour", "donation_campaign_rate_limit": "5/hour"}
    )


@pytest.fixture
async def client_at(app: Any) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """Clients of the one app, each from its own address."""
    clients: list[httpx.AsyncClient] = []

    def at(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://campaign.test")
        clients.append(client)
        return client

    yield at
    for client in clients:
        await client.aclose()


async def start(client: httpx.AsyncClient, slug: str, **fields: Any) -> httpx.Response:
    return await client.post(f"/api/v1/campaigns/{slug}/donations", json=donor(**fields))


async def test_a_network_over_its_limit_is_refused_in_the_open_and_stripe_is_not_called(
    client_at: Callable[[str], httpx.AsyncClient],
    donation_campaign: Callable[..., Awaitable[str]],
    fake_stripe: FakeStripe,
) -> None:
    slug = await donation_campaign()
    one_home = [client_at(f"2001:db8:0:7::{n}") for n in range(1, 5)]
    # Different donors: one donor's repeated start is one session (a double click).
    answers = [await start(c, slug, email=f"d{n}@example.org") for n, c in enumerate(one_home)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    refused = answers[-1]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["retry-after"] == "3600"
    assert refused.json()["field"] == "amount"
    assert len(fake_stripe.sessions) == 3
    # The next /64 is somebody else.
    assert (await start(client_at("2001:db8:0:8::1"), slug)).status_code == 201


async def test_invalid_starts_do_not_use_the_limit(
    client_at: Callable[[str], httpx.AsyncClient],
    donation_campaign: Callable[..., Awaitable[str]],
) -> None:
    slug = await donation_campaign()
    client = client_at("198.51.100.4")
    for _ in range(5):
        assert (await start(client, slug, amount="lots")).status_code == 422
    assert (await start(client, slug)).status_code == 201


async def test_a_campaign_has_a_limit_across_all_networks(
    client_at: Callable[[str], httpx.AsyncClient],
    donation_campaign: Callable[..., Awaitable[str]],
    fake_stripe: FakeStripe,
) -> None:
    slug = await donation_campaign()
    codes = [
        (await start(client_at(f"192.0.2.{n}"), slug, email=f"d{n}@example.org")).status_code
        for n in range(1, 8)
    ]
    assert codes == [201] * 5 + [429] * 2
    assert len(fake_stripe.sessions) == 5
