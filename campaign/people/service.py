"""People: find or create the one row per normalised email address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import insert_for, utcnow
from campaign.people.addresses import EmailAddress
from campaign.people.models import Person


async def upsert_person(
    session: AsyncSession,
    email: EmailAddress,
    *,
    given_name: str,
    family_name: str,
    country: str,
    postcode: str | None,
) -> int:
    """Return the id of the person with this email, creating them if new.

    An existing person's details are not overwritten: anyone can type anyone's
    address, so only what they confirm should change what we hold about them.
    """
    table = Person.__table__
    inserted = await session.execute(
        insert_for(session, table)
        .values(
            email_normalised=email.normalised,
            email=email.typed,
            given_name=given_name,
            family_name=family_name,
            country=country,
            postcode=postcode,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["email_normalised"])
        .returning(table.c.id)
    )
    person_id = inserted.scalar_one_or_none()
    if person_id is not None:
        return int(person_id)
    # The row exists (or a concurrent insert just committed it: ON CONFLICT waited for it).
    existing = await session.execute(
        select(Person.id).where(Person.email_normalised == email.normalised)
    )
    return int(existing.scalar_one())


async def mark_email_confirmed(session: AsyncSession, person_id: int, when: datetime) -> None:
    """Remember that this person has proved the address is theirs (first time only)."""
    await session.execute(
        update(Person)
        .where(Person.id == person_id, Person.email_confirmed_at.is_(None))
        .values(email_confirmed_at=when)
    )


async def has_confirmed_email(session: AsyncSession, person_id: int) -> bool:
    confirmed_at = await session.scalar(
        select(Person.email_confirmed_at).where(Person.id == person_id)
    )
    return confirmed_at is not None
