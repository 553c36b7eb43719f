"""Who a mailing goes to: the campaign's confirmed signers (or the people whose letters
were confirmed), narrowed by tags, country and source, whose latest recorded choice in
the consent ledger is yes to email updates, and whose address is suppressed for no
reason at all. A petition's response goes to its confirmed signers without the consent
condition (it is about the petition they signed), suppressions still excluded.

One definition, used for the count staff see before sending and for every chunk the
worker enqueues, so the two cannot disagree.

Recipients are people, walked in person id order: that order is what lets enqueueing
stop after any chunk and resume after the last person it wrote."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, exists, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.consents.models import ConsentRecord, ConsentText
from campaign.consents.service import EMAIL_UPDATES
from campaign.letters.models import Letter, LetterStatus
from campaign.mailings.models import Audience, Mailing
from campaign.outbox.models import Suppression
from campaign.people.models import Person
from campaign.privacy.hashing import address_hash
from campaign.signatures.models import Signature, SignatureStatus
from campaign.tags.models import Tagging

# Addresses hashed, and looked up among the suppressions, per query when counting.
_HASHED_PER_QUERY = 5000


def _actions(mailing: Mailing) -> Any:
    """The audience's actions on the campaign, each saying which person took it."""
    if mailing.audience == Audience.LETTER_WRITERS:
        letters = select(Letter.person_id.label("person_id")).where(
            Letter.campaign_id == mailing.campaign_id, Letter.status == LetterStatus.CONFIRMED
        )
        if mailing.country:
            letters = letters.where(Letter.country == mailing.country)
        if mailing.source:
            # Letters do not record where their writer came from: nobody matches.
            letters = letters.where(false())
        return letters
    signatures = select(Signature.person_id.label("person_id")).where(
        Signature.campaign_id == mailing.campaign_id,
        Signature.status == SignatureStatus.CONFIRMED,
    )
    if mailing.country:
        signatures = signatures.where(Signature.country == mailing.country)
    if mailing.source:
        signatures = signatures.where(Signature.utm_source == mailing.source)
    return signatures


def _took_action(mailing: Mailing) -> Any:
    actions = _actions(mailing).subquery()
    return exists(select(actions.c.person_id).where(actions.c.person_id == Person.id))


def _latest_choice_is_yes() -> Any:
    latest = (
        select(ConsentRecord.granted)
        .join(ConsentText, ConsentText.id == ConsentRecord.consent_text_id)
        .where(ConsentRecord.person_id == Person.id, ConsentText.purpose == EMAIL_UPDATES)
        .order_by(ConsentRecord.id.desc())
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )
    return latest == true()


def _not_suppressed() -> Any:
    return ~exists(
        select(Suppression.id).where(Suppression.email_normalised == Person.email_normalised)
    )


def _tagged(tag_ids: list[int]) -> Any:
    return exists(
        select(Tagging.id).where(Tagging.person_id == Person.id, Tagging.tag_id.in_(tag_ids))
    )


def recipients(
    mailing: Mailing,
    *,
    after: int = 0,
    through: int | None = None,
    leaving_out: list[int] | None = None,
) -> Select[Any]:
    """The mailing's recipients with person ids in (`after`, `through`], as people rows,
    in id order; without the people `leaving_out` names."""
    conditions = [
        Person.id > after,
        _took_action(mailing),
        _not_suppressed(),
        Person.erased_at.is_(None),
    ]
    if mailing.audience != Audience.RESPONSE_SIGNERS:
        conditions.append(_latest_choice_is_yes())
    if through is not None:
        conditions.append(Person.id <= through)
    if leaving_out:
        conditions.append(Person.id.not_in(leaving_out))
    if mailing.tag_ids:
        conditions.append(_tagged(list(mailing.tag_ids)))
    return select(Person).where(and_(*conditions)).order_by(Person.id)


def chunk_end(mailing: Mailing, after: int, size: int) -> Any:
    """The person id that ends the next chunk of up to `size` of the audience's people
    after `after` (None when there are none): bounded by the actions alone, which their
    index reads in order, so finding the bound costs the same at any point of the walk."""
    actions = _actions(mailing).where(_actions_person(mailing) > after)
    walk = actions.order_by(_actions_person(mailing)).limit(size).subquery()
    return select(func.max(walk.c.person_id))


def _actions_person(mailing: Mailing) -> Any:
    return Letter.person_id if mailing.audience == Audience.LETTER_WRITERS else Signature.person_id


async def erased_addresses_among(
    session: AsyncSession, mailing: Mailing, after: int, through: int, key: str
) -> list[int]:
    """Of the recipients in (`after`, `through`], the people whose address was erased
    once and has come back (it is suppressed by its keyed hash, which SQL cannot work
    out, so the chunk's addresses are hashed here: one query for the chunk)."""
    rows = await session.execute(
        recipients(mailing, after=after, through=through).with_only_columns(
            Person.id, Person.email_normalised
        )
    )
    return await _suppressed_by_hash(session, [(int(i), str(a)) for i, a in rows.all()], key)


async def _suppressed_by_hash(
    session: AsyncSession, people: Sequence[tuple[int, str]], key: str
) -> list[int]:
    """Of these (person id, normalised address) pairs, the people whose address is
    suppressed by its keyed hash."""
    by_hash = {address_hash(address, key): person_id for person_id, address in people}
    if not by_hash:
        return []
    found = await session.scalars(
        select(Suppression.email_hash).where(Suppression.email_hash.in_(list(by_hash)))
    )
    return sorted({by_hash[hashed] for hashed in found if hashed is not None})


async def count_recipients(session: AsyncSession, mailing: Mailing, *, address_key: str) -> int:
    """How many people the mailing would reach if it went now: those its chunks will be
    written to, so without the addresses erased once and come back, which enqueueing
    leaves out (`erased_addresses_among`)."""
    listed = recipients(mailing).with_only_columns(Person.id).order_by(None).subquery()
    total = int(await session.scalar(select(func.count()).select_from(listed)) or 0)
    return total - await _count_erased_and_back(session, mailing, address_key)


async def _count_erased_and_back(session: AsyncSession, mailing: Mailing, key: str) -> int:
    """How many of the recipients have an address suppressed by its keyed hash. Only
    people made since the first such suppression are hashed, and there are none to
    hash until an erasure: an erasure renames the person who held the address, so
    whoever holds it now was made afresh after it (a later erasure of the same address
    keeps the first suppression's time, which is earlier still)."""
    since = await session.scalar(
        select(func.min(Suppression.created_at)).where(Suppression.email_hash.is_not(None))
    )
    if since is None:
        return 0
    held, after = 0, 0
    while True:
        rows = await session.execute(
            recipients(mailing, after=after)
            .where(Person.created_at >= since)
            .with_only_columns(Person.id, Person.email_normalised)
            .limit(_HASHED_PER_QUERY)
        )
        chunk = [(int(person_id), str(address)) for person_id, address in rows.all()]
        if not chunk:
            return held
        held += len(await _suppressed_by_hash(session, chunk, key))
        after = chunk[-1][0]
