"""A letter campaign's figures, counted in one place for the staff API, the metrics and
the dashboard: the letters written and confirmed, and each letter to each official by
its delivery status (letter_delivery_status, the word the activist's page shows too), in
total and per official.

Counted from the letters' own tables (there are orders of magnitude fewer letters than
signatures), in a few grouped reads: the database groups the deliveries by the columns
their status is made of, and each group's status is then read once in Python."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.letters.delivery import HANDED_OVER, LetterDeliveryStatus, letter_delivery_status
from campaign.letters.models import (
    DeliveryState,
    Letter,
    LetterDelivery,
    LetterDigest,
    LetterStatus,
)
from campaign.letters.queries import with_delivery_email
from campaign.outbox.models import OutboxMessage, OutboxStatus
from campaign.targets.models import Official

# Not yet confirmed by their writer, or never to be sent.
_UNCONFIRMED = (DeliveryState.AWAITING_CONFIRMATION, DeliveryState.HELD)
_IN_A_DIGEST = (DeliveryState.IN_DIGEST, DeliveryState.DIGESTED)


@dataclass
class DeliveryTally:
    """Letters to officials (one per letter per official it went to), by how far they
    got. `written` counts every letter addressed to them; `confirmed`, those their writer
    confirmed and that are not held; `sent`, those handed to the provider (so delivered,
    bounced, dropped and deferred are parts of it)."""

    written: int = 0
    confirmed: int = 0
    sent: int = 0
    delivered: int = 0
    bounced: int = 0  # bounced or dropped: the provider gave up on them
    failed: int = 0  # we gave up sending them
    # Moved by the per-official limit to a later hour or day than their confirmation.
    queued_by_limit: int = 0
    in_digests: int = 0  # put in the official's daily digest by the limit
    by_status: Counter[str] = field(default_factory=Counter)

    def add(self, state: str, status: LetterDeliveryStatus, later: bool, count: int) -> None:
        self.written += count
        self.by_status[status] += count
        if state in _UNCONFIRMED:
            return
        self.confirmed += count
        if status in HANDED_OVER:
            self.sent += count
        if status == LetterDeliveryStatus.DELIVERED:
            self.delivered += count
        elif status in (LetterDeliveryStatus.BOUNCED, LetterDeliveryStatus.DROPPED):
            self.bounced += count
        elif status == LetterDeliveryStatus.FAILED:
            self.failed += count
        if state in _IN_A_DIGEST:
            self.in_digests += count
        elif later:
            self.queued_by_limit += count


@dataclass(frozen=True)
class OfficialLetters:
    official_id: int
    name: str
    title: str
    role: str
    organisation: str
    letters: DeliveryTally


@dataclass(frozen=True)
class LetterNumbers:
    letters_by_status: dict[str, int]  # the letters themselves: pending, confirmed, held
    personalised: int  # confirmed letters in the writer's own words
    unedited: int  # confirmed letters that are (nearly) the campaign's template
    deliveries_by_state: dict[str, int]
    to_officials: DeliveryTally  # every letter to every official together
    digests_written: int
    digests_sent: int  # digest emails handed to the provider
    officials: list[OfficialLetters]  # most letters first

    @property
    def written(self) -> int:
        return sum(self.letters_by_status.values())

    @property
    def confirmed(self) -> int:
        return self.letters_by_status.get(LetterStatus.CONFIRMED, 0)


async def letter_numbers(session: AsyncSession, campaign_id: int) -> LetterNumbers:
    by_status = await _counted(
        session,
        select(Letter.status, func.count())
        .where(Letter.campaign_id == campaign_id)
        .group_by(Letter.status),
    )
    personal = await _counted(
        session,
        select(Letter.personalised, func.count())
        .where(Letter.campaign_id == campaign_id, Letter.status == LetterStatus.CONFIRMED)
        .group_by(Letter.personalised),
    )
    by_state = await _counted(
        session,
        select(LetterDelivery.state, func.count())
        .where(LetterDelivery.campaign_id == campaign_id)
        .group_by(LetterDelivery.state),
    )
    total, per_official = await delivery_tallies(session, campaign_id, per_official=True)
    digests_written, digests_sent = (
        await session.execute(
            select(func.count(), func.count(case((OutboxMessage.status == OutboxStatus.SENT, 1))))
            .select_from(LetterDigest)
            .join(OutboxMessage, OutboxMessage.id == LetterDigest.outbox_message_id)
            .where(LetterDigest.campaign_id == campaign_id)
        )
    ).one()
    return LetterNumbers(
        letters_by_status=by_status,
        personalised=personal.get(True, 0),
        unedited=personal.get(False, 0),
        deliveries_by_state=by_state,
        to_officials=total,
        digests_written=int(digests_written),
        digests_sent=int(digests_sent),
        officials=await _officials(session, per_official),
    )


async def delivery_tallies(
    session: AsyncSession, campaign_id: int | None, *, per_official: bool
) -> tuple[DeliveryTally, dict[int, DeliveryTally]]:
    """Letters to officials by how far they got, all together and (if asked) per
    official id; for one campaign, or for every campaign (campaign_id None)."""
    statement = _grouped_deliveries(per_official, of_one_campaign=campaign_id is not None)
    total = DeliveryTally()
    officials: dict[int, DeliveryTally] = {}
    for row in await session.execute(statement, {"campaign": campaign_id}):
        state, pushed, *official, status, reported, count = row
        delivery_status = letter_delivery_status(state, status, reported)
        total.add(state, delivery_status, bool(pushed), int(count))
        if official:
            tally = officials.setdefault(official[0], DeliveryTally())
            tally.add(state, delivery_status, bool(pushed), int(count))
    return total, officials


@functools.cache
def _grouped_deliveries(per_official: bool, *, of_one_campaign: bool) -> Select[Any]:
    """The statement delivery_tallies runs, built once per shape (the campaign a
    parameter): its joins cost more to build than to run on a few letters."""
    # A bare comparison, not a CASE: PostgreSQL groups by an expression only if it is
    # written the same in SELECT, and a CASE's constants would be separate parameters.
    later = LetterDelivery.scheduled_at > Letter.confirmed_at
    grouped: list[Any] = [LetterDelivery.state, later]
    if per_official:
        grouped.append(LetterDelivery.official_id)
    query, email = with_delivery_email(
        select(*grouped)
        .select_from(LetterDelivery)
        .join(Letter, Letter.id == LetterDelivery.letter_id)
    )
    grouped += [email.status, email.provider_status]
    query = query.add_columns(email.status, email.provider_status, func.count())
    if of_one_campaign:
        query = query.where(LetterDelivery.campaign_id == bindparam("campaign"))
    return query.group_by(*grouped)


async def _officials(
    session: AsyncSession, tallies: dict[int, DeliveryTally]
) -> list[OfficialLetters]:
    if not tallies:
        return []
    rows = await session.execute(
        select(
            Official.id, Official.name, Official.title, Official.role, Official.organisation
        ).where(Official.id.in_(list(tallies)))
    )
    found = [
        OfficialLetters(oid, name, title, role, organisation, tallies[oid])
        for oid, name, title, role, organisation in rows
    ]
    return sorted(found, key=lambda line: (-line.letters.written, line.name, line.official_id))


async def _counted(session: AsyncSession, query: Any) -> dict[Any, int]:
    return {key: int(count) for key, count in await session.execute(query)}
