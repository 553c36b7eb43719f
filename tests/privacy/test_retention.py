"""The retention job scrubs only what is old enough: IP addresses and user agents some
days after the action, a letter's text some days after it was delivered, and never the
text of a letter not yet delivered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import utcnow
from campaign.letters.models import Letter, LetterDelivery
from campaign.outbox.models import OutboxMessage
from campaign.privacy.retention import REMOVED, REMOVED_CONTENT, scrub_expired_data
from campaign.signatures.models import Signature
from tests.letters.conftest import writer
from tests.privacy.conftest import OTHER, ZEPHYRINE, Campaigns, MakeActive


async def _letters(factory: async_sessionmaker[AsyncSession], person_id: int) -> list[Letter]:
    async with factory() as session:
        return list(
            await session.scalars(
                select(Letter).where(Letter.person_id == person_id).order_by(Letter.id)
            )
        )


async def _message_ids(factory: async_sessionmaker[AsyncSession], letter_id: int) -> list[int]:
    async with factory() as session:
        return [
            i
            for i in await session.scalars(
                select(LetterDelivery.outbox_message_id).where(
                    LetterDelivery.letter_id == letter_id
                )
            )
            if i is not None
        ]


async def test_only_what_is_old_enough_is_scrubbed(
    client: httpx.AsyncClient,
    campaigns: Campaigns,
    make_active: MakeActive,
    letter_campaign: Any,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    await campaigns()
    zeph = await make_active(ZEPHYRINE)
    other = await make_active(OTHER)
    # A second letter of theirs, confirmed (their address is) but not yet sent.
    await letter_campaign("stop-the-hill-dam")
    written = await client.post(
        "/api/v1/campaigns/stop-the-hill-dam/letters",
        json=writer(email=OTHER.email, given_name=OTHER.given_name, postcode=OTHER.postcode),
    )
    assert written.status_code == 202, written.text

    # The clock the job is given: 100 days from now. Every IP address and user agent is
    # then older than 90 days, but for one signature made 50 days before that.
    now = utcnow() + timedelta(days=100)
    [zeph_letter] = await _letters(session_factory, zeph)
    other_sent, other_unsent = await _letters(session_factory, other)
    zeph_messages = await _message_ids(session_factory, zeph_letter.id)
    assert zeph_messages and await _message_ids(session_factory, other_unsent.id)
    async with session_factory() as session, session.begin():
        young = await session.scalar(
            select(Signature.id).where(Signature.person_id == other).order_by(Signature.id)
        )
        await session.execute(
            update(Signature)
            .where(Signature.id == young)
            .values(created_at=now - timedelta(days=50))
        )
        # Zephyrine's letter (and her copy) went out 400 days before the clock.
        await session.execute(
            update(OutboxMessage)
            .where(
                (OutboxMessage.id.in_(zeph_messages))
                | (
                    OutboxMessage.to_address.ilike(ZEPHYRINE.email)
                    & (OutboxMessage.kind == "letter_copy")
                )
            )
            .values(sent_at=now - timedelta(days=400))
        )
        # The unsent letter is very old, but was never delivered.
        await session.execute(
            update(Letter)
            .where(Letter.id == other_unsent.id)
            .values(created_at=now - timedelta(days=1000))
        )

    done = await scrub_expired_data(session_factory, settings, now=now, batch_size=1)
    assert done.letter_bodies == 1
    assert done.ip_addresses == 2 + 2 - 1 + 3  # signatures but the young one; letters
    assert done.user_agents == 3

    async with session_factory() as session:
        signatures = {
            s.id: s for s in await session.scalars(select(Signature).order_by(Signature.id))
        }
        letters = {letter.id: letter for letter in await session.scalars(select(Letter))}
        deliveries = list(await session.scalars(select(LetterDelivery)))
        messages = {m.id: m for m in await session.scalars(select(OutboxMessage))}
    assert signatures[young].ip_address and signatures[young].user_agent
    assert all(
        s.ip_address is None and s.user_agent is None for i, s in signatures.items() if i != young
    )
    assert all(letter.ip_address is None for letter in letters.values())
    assert letters[zeph_letter.id].body == REMOVED
    assert ZEPHYRINE.letter_words in zeph_letter.body  # as it was before
    assert OTHER.letter_words in letters[other_sent.id].body  # delivered 100 days ago only
    assert letters[other_unsent.id].body == other_unsent.body  # never delivered
    for delivery in deliveries:
        assert (delivery.body == REMOVED) == (delivery.letter_id == zeph_letter.id)
    for message_id in zeph_messages:
        assert messages[message_id].context == REMOVED_CONTENT
    [copy] = [
        m
        for m in messages.values()
        if m.kind == "letter_copy" and m.to_address.lower() == ZEPHYRINE.email.lower()
    ]
    assert copy.context == REMOVED_CONTENT
    [other_copy] = [
        m
        for m in messages.values()
        if m.kind == "letter_copy"
        and m.to_address.lower() == OTHER.email.lower()
        and m.status == "sent"
    ]
    assert OTHER.letter_words in other_copy.context["body"]

    # Run again: nothing is left to do. With retention off, nothing is done at all.
    again = await scrub_expired_data(session_factory, settings, now=now)
    assert (again.ip_addresses, again.user_agents, again.letter_bodies) == (0, 0, 0)
    kept = settings.model_copy(
        update={
            "retain_ip_addresses_days": 0,
            "retain_user_agents_days": 0,
            "retain_letter_bodies_days": 0,
        }
    )
    later = await scrub_expired_data(session_factory, kept, now=now + timedelta(days=10_000))
    assert (later.ip_addresses, later.user_agents, later.letter_bodies) == (0, 0, 0)
    async with session_factory() as session:
        assert (await session.get_one(Signature, young)).ip_address is not None
