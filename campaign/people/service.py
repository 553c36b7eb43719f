"""People: find or create the one row per normalised email address."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import insert_for, utcnow
from campaign.people.emails import EmailAddress
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
