"""A person asks for a link by email and, through it, downloads or erases their data.
The answer to the request never says whether the address is known."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import utcnow
from campaign.people.addresses import normalise_email
from campaign.people.models import Person
from campaign.privacy.models import DataRightsLink, PrivacyAuditEntry
from tests.fixtures.emails import text_body
from tests.privacy.conftest import OTHER, PETITIONS, ZEPHYRINE, Campaigns, MakeActive

LINK = re.compile(r"https?://\S+(/my-data/[A-Za-z0-9_\-]+)")
SUBJECT = "Your link to see or erase your data"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"data_request_rate_limit": "3/hour"})


def _links(emails: list[Any], address: str) -> list[str]:
    found = []
    for email in emails:
        to = str(email["To"].addresses[0].addr_spec).lower()
        if str(email["Subject"]).strip() == SUBJECT and to == address.lower():
            match = LINK.search(text_body(email))
            assert match
            found.append(match.group(1))
    return found


async def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    client: httpx.AsyncClient,
    campaigns: Campaigns,
    make_active: MakeActive,
    deliver_emails: Any,
) -> None:
    await campaigns()
    await make_active(ZEPHYRINE)
    form = await client.get("/my-data")
    assert form.status_code == 200 and 'name="email"' in form.text

    known = await client.post("/my-data", data={"email": ZEPHYRINE.email})
    unknown = await client.post("/my-data", data={"email": "never.signed@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert "If we hold data for that address, we have emailed a link" in known.text

    emails = await deliver_emails()
    assert len(_links(emails, ZEPHYRINE.email)) == 1
    assert not any("never.signed" in str(e["To"]) for e in emails)

    invalid = await client.post("/my-data", data={"email": "not-an-address"})
    assert invalid.status_code == 422
    assert 'aria-invalid="true"' in invalid.text


async def test_asking_too_often_is_answered_the_same_and_sends_nothing(
    client: httpx.AsyncClient,
    app: Any,
    campaigns: Campaigns,
    make_active: MakeActive,
    deliver_emails: Any,
) -> None:
    await campaigns()
    await make_active(ZEPHYRINE)
    await make_active(OTHER)
    answers = [
        (await client.post("/my-data", data={"email": ZEPHYRINE.email})).text for _ in range(5)
    ]
    assert len(set(answers)) == 1
    assert len(_links(await deliver_emails(), ZEPHYRINE.email)) == 3

    # From another network: that address has had its share, another has not.
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as elsewhere:
        same = await elsewhere.post("/my-data", data={"email": ZEPHYRINE.email})
        other = await elsewhere.post("/my-data", data={"email": OTHER.email})
    assert same.text == other.text == answers[0]
    emails = await deliver_emails()
    assert len(_links(emails, ZEPHYRINE.email)) == 3
    assert len(_links(emails, OTHER.email)) == 1


async def test_the_link_downloads_then_expires_and_a_forged_one_is_refused(
    client: httpx.AsyncClient,
    campaigns: Campaigns,
    make_active: MakeActive,
    deliver_emails: Any,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await campaigns()
    await make_active(ZEPHYRINE)
    await make_active(OTHER)
    await client.post("/my-data", data={"email": ZEPHYRINE.email})
    [link] = _links(await deliver_emails(), ZEPHYRINE.email)

    page = await client.get(link)
    assert page.status_code == 200 and "Download my data" in page.text
    download = await client.post(f"{link}/download")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    document = download.json()
    assert document["person"]["family_name"] == ZEPHYRINE.family_name
    assert len(document["signatures"]) == len(PETITIONS)
    assert OTHER.family_name.lower() not in download.text.lower()
    # It works while it is valid: a second download is the same.
    assert (await client.post(f"{link}/download")).json() == document

    for forged in ("/my-data/" + "A" * 43, link[:-2] + "xx"):
        assert (await client.get(forged)).status_code == 404
        assert (await client.post(f"{forged}/download")).status_code == 404
        assert (await client.post(f"{forged}/erase", data={"confirm": "yes"})).status_code == 404

    async with session_factory() as session, session.begin():
        await session.execute(
            update(DataRightsLink).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await client.get(link)).status_code == 404
    assert (await client.post(f"{link}/download")).status_code == 404
    assert (await client.post(f"{link}/erase", data={"confirm": "yes"})).status_code == 404
    async with session_factory() as session:
        person = await session.scalar(
            select(Person).where(Person.email_normalised == normalise_email(ZEPHYRINE.email))
        )
    assert person is not None and person.erased_at is None


async def test_erasing_through_the_link_asks_first_then_works_once(
    client: httpx.AsyncClient,
    campaigns: Campaigns,
    make_active: MakeActive,
    deliver_emails: Any,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await campaigns()
    person_id = await make_active(ZEPHYRINE)
    await client.post("/my-data", data={"email": ZEPHYRINE.email})
    [link] = _links(await deliver_emails(), ZEPHYRINE.email)

    confirm = await client.get(f"{link}/erase")
    assert confirm.status_code == 200 and 'name="confirm"' in confirm.text
    unconfirmed = await client.post(f"{link}/erase", data={})
    assert unconfirmed.status_code == 422
    async with session_factory() as session:
        assert (await session.get_one(Person, person_id)).erased_at is None

    erased = await client.post(f"{link}/erase", data={"confirm": "yes"})
    assert erased.status_code == 200 and "Your data is erased" in erased.text
    async with session_factory() as session:
        person = await session.get_one(Person, person_id)
        entries = list(await session.scalars(select(PrivacyAuditEntry)))
        links = list(await session.scalars(select(DataRightsLink)))
    assert person.erased_at is not None and person.family_name == "(erased)"
    assert {(e.action, e.requester) for e in entries} == {("erasure", "person")}
    assert links == []
    # The link has done its work; asking again for the erased address sends nothing
    # (the only such email there is, is the first one).
    assert (await client.get(link)).status_code == 404
    await client.post("/my-data", data={"email": ZEPHYRINE.email})
    assert _links(await deliver_emails(), ZEPHYRINE.email) == [link]


async def test_every_public_page_links_to_the_data_page(
    client: httpx.AsyncClient, campaigns: Campaigns
) -> None:
    await campaigns()
    page = await client.get(f"/c/{PETITIONS[0]}")
    assert page.status_code == 200
    assert 'href="/my-data"' in page.text
