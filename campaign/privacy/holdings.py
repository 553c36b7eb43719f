"""Finding what is held about one address: the person it belongs to, and the emails sent
to it under any spelling that reaches the same inbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.letters.models import Letter
from campaign.outbox.models import OutboxMessage
from campaign.people.addresses import normalise_email
from campaign.people.models import Person
from campaign.signatures.models import Signature


@dataclass
class Holdings:
    normalised: str
    person: Person | None
    # Every spelling of the address seen on the person's actions, lower case.
    spellings: set[str] = field(default_factory=set)
    # Emails to the address, and emails sent for it (its letters to officials reply to it).
    messages_to: list[int] = field(default_factory=list)
    messages_for: list[int] = field(default_factory=list)


async def find_holdings(session: AsyncSession, address: str) -> Holdings:
    normalised = normalise_email(address)
    person = await session.scalar(
        select(Person).where(Person.email_normalised == normalised, Person.erased_at.is_(None))
    )
    spellings = {address.strip().lower(), normalised}
    if person is not None:
        spellings.add(person.email.lower())
        for typed in await session.scalars(
            select(Signature.email)
            .where(Signature.person_id == person.id)
            .union(select(Letter.email).where(Letter.person_id == person.id))
        ):
            spellings.add(typed.lower())
    # Only spellings that really are this inbox (a typo on a signature is still theirs).
    spellings = {s for s in spellings if normalise_email(s) == normalised}
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.to_address, OutboxMessage.reply_to).where(
            or_(
                func.lower(OutboxMessage.to_address).in_(spellings),
                func.lower(OutboxMessage.reply_to).in_(spellings),
            )
        )
    )
    to, for_ = [], []
    for message_id, to_address, reply_to in rows.all():
        if normalise_email(to_address) == normalised:
            to.append(message_id)
        elif reply_to and normalise_email(reply_to) == normalised:
            for_.append(message_id)
    return Holdings(normalised, person, spellings, sorted(to), sorted(for_))
