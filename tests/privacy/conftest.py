"""People with something of everything: signatures, a letter to officials, emails and
their delivery events, a donation, tags, custom fields; made the way supporters and
staff make them where the API allows, else straight into the tables."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction, utcnow
from campaign.donations.models import Donation, DonationPayment
from campaign.inbox.models import EmailEvent
from campaign.outbox.models import OutboxMessage
from campaign.people.addresses import normalise_email
from campaign.people.models import Person
from campaign.tags.models import Tag, Tagging
from tests.conftest import signer
from tests.fixtures.emails import confirmation_path, read_emails
from tests.letters.conftest import letter_campaign, officials, writer  # noqa: F401

PETITIONS = ("stop-the-arms-trade", "free-the-press")
LETTERS = "stop-the-vale-dam"


@dataclass(frozen=True)
class Someone:
    email: str
    given_name: str
    family_name: str
    postcode: str
    # Words only they wrote: in a comment and in their letter.
    comment: str
    letter_words: str

    @property
    def traces(self) -> list[str]:
        """What must be found nowhere once they are erased (compared in lower case)."""
        return [
            self.email.lower(),
            self.given_name.lower(),
            self.family_name.lower(),
            self.postcode.lower(),
            self.comment.lower(),
            self.letter_words.lower(),
        ]


ZEPHYRINE = Someone(
    email="Zeph.Quill@example.org",
    given_name="Zephyrine",
    family_name="Quillfeather",
    postcode="N1 9GU",
    comment="Signed for my grandmother Philippa",
    letter_words="I walk my dog Pemberton along the Vale",
)
OTHER = Someone(
    email="ola.nordmann@example.net",
    given_name="Olaug",
    family_name="Nordmannsen",
    postcode="SW1A 1AA",
    comment="For the children of Brightwater",
    letter_words="My allotment by the Vale floods each spring",
)


Campaigns = Callable[[], Awaitable[None]]
MakeActive = Callable[[Someone], Awaitable[int]]


@pytest.fixture
def campaigns(
    client: httpx.AsyncClient,
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    letter_campaign: Callable[..., Awaitable[str]],  # noqa: F811
) -> Campaigns:
    async def create() -> None:
        await publish_petition(slug=PETITIONS[0])
        await publish_petition(slug=PETITIONS[1], title="Free the press")
        await letter_campaign(LETTERS)

    return create


@pytest.fixture
def make_active(
    client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
    settings: Any,
) -> MakeActive:
    """Someone signs both petitions (and confirms), writes to their officials, is sent
    emails the provider reports on, gives money and is tagged; returns their person id."""

    async def make(someone: Someone) -> int:
        seen = len(read_emails(settings.email_file_dir))
        for slug in PETITIONS:
            signed = await client.post(
                f"/api/v1/campaigns/{slug}/signatures",
                json=signer(
                    email=someone.email,
                    given_name=someone.given_name,
                    family_name=someone.family_name,
                    postcode=someone.postcode,
                    comment=someone.comment,
                    tracking={
                        "referrer": f"https://news.example/story?reader={someone.family_name}"
                    },
                ),
                headers={"User-Agent": f"TestBrowser/1.0 ({someone.family_name})"},
            )
            assert signed.status_code == 202, signed.text
        emails = (await deliver_emails())[seen:]
        assert len(emails) == 2
        for email in emails:
            assert (await client.get(confirmation_path(email))).status_code == 200
        body = (
            "Dear {{official_name}},\n\nAs your constituent in {{activist_locality}}, I ask "
            "you to oppose the Vale dam. The government must withdraw the permit before "
            f"construction starts. {someone.letter_words}.\n\nYours sincerely,\n"
            "{{activist_name}}"
        )
        written = await client.post(
            f"/api/v1/campaigns/{LETTERS}/letters",
            json=writer(
                email=someone.email,
                given_name=someone.given_name,
                family_name=someone.family_name,
                postcode=someone.postcode,
                locality="Hillside",
                body=body,
                consent={"email_updates": True},
            ),
        )
        assert written.status_code == 202, written.text
        await deliver_emails()
        return await _add_the_rest(session_factory, someone)

    return make


async def _add_the_rest(factory: async_sessionmaker[AsyncSession], someone: Someone) -> int:
    async with transaction(factory) as session:
        person = await session.scalar(
            select(Person).where(Person.email_normalised == normalise_email(someone.email))
        )
        assert person is not None
        person.custom_fields = {"phone": "+44 20 7946 0000", "nickname": someone.given_name}
        # The provider's reports on every email sent to them.
        messages = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address.ilike(someone.email))
        )
        for message in messages:
            await session.execute(
                insert(EmailEvent).values(
                    provider_event_id=f"delivered-{message.id}",
                    outbox_message_id=message.id,
                    event="delivered",
                    occurred_at=utcnow(),
                    payload={"email": message.to_address, "event": "delivered"},
                    received_at=utcnow(),
                )
            )
        campaign_id = await session.scalar(
            select(OutboxMessage.campaign_id).where(OutboxMessage.campaign_id.is_not(None))
        )
        donation = Donation(
            campaign_id=campaign_id,
            person_id=person.id,
            frequency="one_off",
            amount=1500,
            currency="gbp",
            status="paid",
            request_key=f"key-{person.id}",
            stripe_session_id=f"cs_test_{person.id}",
            completed_at=utcnow(),
        )
        session.add(donation)
        await session.flush()
        session.add(
            DonationPayment(
                payment_intent_id=f"pi_test_{person.id}",
                donation_id=donation.id,
                amount=1500,
                currency="gbp",
                paid_at=utcnow(),
            )
        )
        tag = await session.scalar(select(Tag).where(Tag.name_normalised == "volunteer"))
        if tag is None:
            tag = Tag(name="Volunteer", name_normalised="volunteer")
            session.add(tag)
            await session.flush()
        session.add(Tagging(tag_id=tag.id, person_id=person.id))
        return person.id
