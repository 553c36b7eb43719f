"""Officials are protected from floods: above a campaign's per-official limits, letters
wait for an hour or day with room, or go into one daily digest. None is dropped."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction, utcnow
from campaign.letters.delivery import send_due_digests
from campaign.letters.models import LetterDelivery
from campaign.people.models import Person
from tests.fixtures.emails import text_body
from tests.letters.conftest import BODY_TEMPLATE, outbox, writer

ALEX = "alex.morgan@parliament.example"


async def known_activists(factory: async_sessionmaker[AsyncSession], count: int) -> list[str]:
    """People who confirmed their address before, so their letters go out at once."""
    addresses = [f"activist{n}@example.org" for n in range(count)]
    async with transaction(factory) as session:
        for n, address in enumerate(addresses):
            session.add(
                Person(
                    email_normalised=address,
                    email=address,
                    given_name=f"Activist{n}",
                    family_name="Tester",
                    country="GB",
                    email_confirmed_at=utcnow(),
                )
            )
    return addresses


async def deliveries(factory: async_sessionmaker[AsyncSession]) -> list[LetterDelivery]:
    async with factory() as session:
        return list(await session.scalars(select(LetterDelivery).order_by(LetterDelivery.id)))


def hour_start(at: object) -> object:
    return at.replace(minute=0, second=0, microsecond=0)  # type: ignore[attr-defined]


async def test_letters_over_the_hourly_limit_wait_for_the_next_hour(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await letter_campaign(per_official_hourly_limit=2)
    for address in await known_activists(session_factory, 5):
        answer = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer(email=address))
        assert answer.status_code == 202

    rows = await deliveries(session_factory)
    assert [d.state for d in rows] == ["scheduled"] * 5
    now = utcnow()
    this_hour = hour_start(now)
    slots = [d.scheduled_at for d in rows]
    assert all(abs((slot - now).total_seconds()) < 60 for slot in slots[:2])  # type: ignore[operator]
    assert slots[2:4] == [this_hour + timedelta(hours=1)] * 2  # type: ignore[operator]
    assert slots[4] == this_hour + timedelta(hours=2)  # type: ignore[operator]
    letters = await outbox(session_factory, "letter_to_official")
    assert len(letters) == 5
    assert [m.available_at for m in letters][2:] == slots[2:]


async def test_letters_over_the_daily_limit_wait_for_the_next_day(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await letter_campaign(per_official_hourly_limit=5, per_official_daily_limit=1)
    for address in await known_activists(session_factory, 3):
        await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer(email=address))

    slots = [d.scheduled_at for d in await deliveries(session_factory)]
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    assert slots[1:] == [midnight + timedelta(days=1), midnight + timedelta(days=2)]


async def test_over_the_limit_letters_go_in_one_daily_digest(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    session_factory: async_sessionmaker[AsyncSession],
    deliver_emails: Callable[[], Awaitable[list[EmailMessage]]],
) -> None:
    slug = await letter_campaign(per_official_daily_limit=1, over_limit="digest")
    first, second, third = await known_activists(session_factory, 3)
    own_words = BODY_TEMPLATE + (
        "\n\nOur village school stands where the reservoir would be; my children, and their"
        " friends, would have nowhere to learn. Please think of them when you vote."
    )
    for n, (address, body) in enumerate(((first, None), (second, own_words), (third, None))):
        fields = writer(email=address, given_name=f"Activist{n}", family_name="Tester")
        fields |= {"body": body} if body else {}
        assert (
            await client.post(f"/api/v1/campaigns/{slug}/letters", json=fields)
        ).status_code == 202

    assert [d.state for d in await deliveries(session_factory)] == [
        "scheduled",
        "in_digest",
        "in_digest",
    ]
    # Not before the day is over...
    async with transaction(session_factory) as session:
        assert await send_due_digests(session, now=utcnow()) == 0
    # ...then one email for the day, once.
    tomorrow = utcnow() + timedelta(days=1)
    async with transaction(session_factory) as session:
        assert await send_due_digests(session, now=tomorrow) == 1
    async with transaction(session_factory) as session:
        assert await send_due_digests(session, now=tomorrow) == 0

    [digest] = await outbox(session_factory, "letter_digest")
    assert digest.to_address == ALEX
    assert (digest.context["count"], digest.context["personalised"]) == (2, 1)
    assert [d.state for d in await deliveries(session_factory)][1:] == ["digested"] * 2

    emails = [e for e in await deliver_emails() if ALEX in str(e["To"])]
    [digest_email] = [e for e in emails if "letters from constituents" in str(e["Subject"])]
    text = text_body(digest_email)
    assert "1 wrote in their own words; 1 sent the campaign's" in text
    assert "Activist1 Tester" in text and "Activist2 Tester" in text
    assert "Our village school" in text


async def test_concurrent_letters_never_overfill_an_hour(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    session_factory: async_sessionmaker[AsyncSession],
    on_postgres: bool,
) -> None:
    if not on_postgres:
        pytest.skip("SQLite serialises writers anyway")
    slug = await letter_campaign(per_official_hourly_limit=3)
    addresses = await known_activists(session_factory, 12)
    answers = await asyncio.gather(
        *(
            client.post(f"/api/v1/campaigns/{slug}/letters", json=writer(email=address))
            for address in addresses
        )
    )
    assert {a.status_code for a in answers} == {202}
    per_hour: dict[object, int] = {}
    for delivery in await deliveries(session_factory):
        slot = hour_start(delivery.scheduled_at)
        per_hour[slot] = per_hour.get(slot, 0) + 1
    assert sorted(per_hour.values()) == [3, 3, 3, 3]


async def test_the_cli_queues_finished_days_digests(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    slug = await letter_campaign(per_official_daily_limit=1, over_limit="digest")
    for address in await known_activists(session_factory, 3):
        await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer(email=address))
    async with transaction(session_factory) as session:
        await session.execute(
            update(LetterDelivery)
            .where(LetterDelivery.state == "in_digest")
            .values(digest_day=utcnow().date() - timedelta(days=1))
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env["CAMPAIGN_SECRET_KEY"] = os.environ["CAMPAIGN_SECRET_KEY"]  # the suite's (conftest)
    env["CAMPAIGN_DATABASE_URL"] = settings.database_url
    command = [sys.executable, "-m", "campaign", "letters", "send-digests"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert first.stdout.strip() == "queued 1 digest(s)"
    assert again.stdout.strip() == "queued 0 digest(s)"
    [digest] = await outbox(session_factory, "letter_digest")
    assert digest.context["count"] == 2
