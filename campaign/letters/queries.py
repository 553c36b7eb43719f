"""What staff and activists see of letters: each official's copy and how far it has got
(letter_delivery_status, from the outbox and the delivery events). The campaign's
letter figures are counted in campaign/metrics/letters.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.letters.delivery import LetterDeliveryStatus, letter_delivery_status
from campaign.letters.models import LetterDelivery, LetterDigest
from campaign.outbox.models import OutboxMessage
from campaign.targets.models import Official


@dataclass(frozen=True)
class DeliveryView:
    official_id: int
    official_name: str
    official_title: str
    organisation: str
    state: str
    scheduled_at: datetime | None
    status: LetterDeliveryStatus
    sent_at: datetime | None


@dataclass(frozen=True)
class DeliveryEmail:
    """The columns of a delivery's email, joined in by `with_delivery_email`: its own,
    or its digest's once the digest is written (None while there is neither)."""

    status: ColumnElement[str | None]
    provider_status: ColumnElement[str | None]
    sent_at: ColumnElement[datetime | None]


def with_delivery_email(
    query: Select[*tuple[Any, ...]],
) -> tuple[Select[*tuple[Any, ...]], DeliveryEmail]:
    """`query` (selecting from letter_deliveries) joined to each delivery's email, and
    the columns to read from it. Every reader of a delivery's status goes through here,
    then through letter_delivery_status."""
    own = OutboxMessage.__table__.alias("own_email")
    digest = OutboxMessage.__table__.alias("digest_email")
    joined = (
        query.outerjoin(own, own.c.id == LetterDelivery.outbox_message_id)
        .outerjoin(LetterDigest, LetterDigest.id == LetterDelivery.digest_id)
        .outerjoin(digest, digest.c.id == LetterDigest.outbox_message_id)
    )
    return joined, DeliveryEmail(
        status=func.coalesce(own.c.status, digest.c.status),
        provider_status=func.coalesce(own.c.delivery_status, digest.c.delivery_status),
        sent_at=func.coalesce(own.c.sent_at, digest.c.sent_at),
    )


async def officials_of_letters(
    session: AsyncSession, letter_ids: Sequence[int]
) -> dict[int, list[Official]]:
    """The officials each letter went (or goes) to, in the order they were added."""
    officials: dict[int, list[Official]] = {letter_id: [] for letter_id in letter_ids}
    if not letter_ids:
        return officials
    rows = await session.execute(
        select(LetterDelivery.letter_id, Official)
        .join(Official, Official.id == LetterDelivery.official_id)
        .where(LetterDelivery.letter_id.in_(list(letter_ids)))
        .order_by(LetterDelivery.id)
    )
    for letter_id, official in rows:
        officials[letter_id].append(official)
    return officials


async def deliveries_of(
    session: AsyncSession, letter_ids: Sequence[int]
) -> dict[int, list[DeliveryView]]:
    """Each letter's deliveries. A letter in a digest reports the digest email's status."""
    if not letter_ids:
        return {}
    query, email = with_delivery_email(
        select(
            LetterDelivery.letter_id,
            LetterDelivery.state,
            LetterDelivery.scheduled_at,
            Official.id,
            Official.name,
            Official.title,
            Official.organisation,
        ).join(Official, Official.id == LetterDelivery.official_id)
    )
    rows = await session.execute(
        query.add_columns(email.status, email.provider_status, email.sent_at)
        .where(LetterDelivery.letter_id.in_(letter_ids))
        .order_by(LetterDelivery.letter_id, Official.name)
    )
    views: dict[int, list[DeliveryView]] = defaultdict(list)
    for row in rows:
        letter_id, state, scheduled_at, oid, name, title, org, status, reported, sent_at = row
        views[letter_id].append(
            DeliveryView(
                oid,
                name,
                title,
                org,
                state,
                scheduled_at,
                letter_delivery_status(state, status, reported),
                sent_at,
            )
        )
    return views


@dataclass(frozen=True)
class SentCopy:
    """A letter as one official got it, placeholders filled in."""

    official_name: str
    subject: str
    body: str


async def sent_copy(session: AsyncSession, letter_id: int) -> SentCopy | None:
    """The letter as it went to its first official: what the activist is shown as
    theirs. Every letter has one once written (deliveries are made with it)."""
    row = (
        await session.execute(
            select(Official.name, LetterDelivery.subject, LetterDelivery.body)
            .join(Official, Official.id == LetterDelivery.official_id)
            .where(LetterDelivery.letter_id == letter_id)
            .order_by(LetterDelivery.id)
            .limit(1)
        )
    ).one_or_none()
    return None if row is None else SentCopy(*row)
