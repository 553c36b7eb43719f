"""Letters and donations through the OSDI API: a confirmed letter is an outreach with
its officials as targets (OCD-IDs and all), listed per advocacy campaign and per person;
a donation carries its amount, currency and recurrence, per fundraising page and per
person."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.donations.models import Donation, DonationSetup
from campaign.people.models import Person
from tests.fixtures.emails import text_body
from tests.letters.conftest import RIVERSIDE, letter_campaign, officials, writer
from tests.osdi.test_contract import osdi

__all__ = ["letter_campaign", "officials"]  # fixtures, imported for these tests

LETTER_CONFIRM = re.compile(r"https?://\S+(/letters/confirm/[A-Za-z0-9_\-]+)")


async def test_a_confirmed_letter_is_an_outreach_with_its_targets(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    letter_campaign: Callable[..., Awaitable[str]],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
) -> None:
    slug = await letter_campaign()
    written = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer())
    assert written.status_code == 202, written.text
    [confirmation] = await deliver_emails()
    link = LETTER_CONFIRM.search(text_body(confirmation))
    assert link
    assert (await client.get(link.group(1))).status_code == 200

    campaigns = await client.get("/osdi/v1/advocacy_campaigns", headers=osdi(viewer))
    [campaign] = campaigns.json()["_embedded"]["osdi:advocacy_campaigns"]
    assert campaign["total_outreaches"] == 1
    outreaches_href = campaign["_links"]["osdi:outreaches"]["href"]
    outreaches = await client.get(outreaches_href, headers=osdi(viewer))
    [outreach] = outreaches.json()["_embedded"]["osdi:outreaches"]
    assert outreach["type"] == "email" and outreach["status"] == "confirmed"
    assert outreach["subject"] == "Please oppose the Vale dam"
    assert outreach["targets"] == [
        {
            "title": "Member of Parliament for Riverside",
            "organization": "House of Commons",
            "given_name": "Alex Morgan",
            "ocdid": RIVERSIDE,
        }
    ]
    person_href = outreach["_links"]["osdi:person"]["href"]
    mine = await client.get(person_href + "/outreaches", headers=osdi(viewer))
    assert [o["identifiers"] for o in mine.json()["_embedded"]["osdi:outreaches"]] == [
        outreach["identifiers"]
    ]
    one = await client.get(outreach["_links"]["self"]["href"], headers=osdi(viewer))
    assert one.json() == outreach


async def test_donations_carry_amount_currency_and_recurrence(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    petition = await publish_petition()
    async with transaction(session_factory) as session:
        session.add(
            DonationSetup(
                campaign_id=petition["id"],
                currency="gbp",
                minimum_amount=100,
                maximum_amount=100_000,
                suggested_amounts=[500],
            )
        )
        person = Person(
            email_normalised="giver@example.org",
            email="giver@example.org",
            given_name="Gil",
            family_name="Giver",
            country="GB",
        )
        session.add(person)
        await session.flush()
        for frequency, amount, key in (("one_off", 1250, "a"), ("monthly", 500, "b")):
            session.add(
                Donation(
                    campaign_id=petition["id"],
                    person_id=person.id,
                    frequency=frequency,
                    amount=amount,
                    currency="gbp",
                    status="paid",
                    request_key=key,
                )
            )

    pages = await client.get("/osdi/v1/fundraising_pages", headers=osdi(viewer))
    [page] = pages.json()["_embedded"]["osdi:fundraising_pages"]
    assert page["total_donations"] == 2
    listed = await client.get(page["_links"]["osdi:donations"]["href"], headers=osdi(viewer))
    donations = listed.json()["_embedded"]["osdi:donations"]
    assert [(d["amount"], d["currency"]) for d in donations] == [("12.50", "GBP"), ("5.00", "GBP")]
    assert [d["action_network:recurrence"]["recurring"] for d in donations] == [False, True]
    every = await client.get("/osdi/v1/donations", headers=osdi(viewer))
    assert len(every.json()["_embedded"]["osdi:donations"]) == 2
    mine = await client.get(f"/osdi/v1/people/{person.id}/donations", headers=osdi(viewer))
    assert [d["identifiers"] for d in mine.json()["_embedded"]["osdi:donations"]] == [
        d["identifiers"] for d in donations
    ]
    missing = await client.get(
        f"/osdi/v1/fundraising_pages/{petition['id'] + 99}", headers=osdi(viewer)
    )
    assert missing.status_code == 404
