"""What staff and activists see of letters: each official's copy and how its email
fared, from the delivery events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.letters.models import Letter, LetterDelivery, LetterDigest
from campaign.outbox.models import DeliveryStatus, OutboxMessage, OutboxStatus
from campaign.targets.models import Official


@dataclass(frozen=True)
class DeliveryView:
    official_id: int
    official_name: str
    official_title: str
    organisation: str
    state: str
    scheduled_at: datetime | None
    # The email's own progress: queued, sent, delivered, bounced, ... (None: in a digest
    # not yet written).
    email_status: str | None
    sent_at: datetime | None


async def deliveries_of(
    session: AsyncSession, letter_ids: Sequence[int]
) -> dict[int, list[DeliveryView]]:
    """Each letter's deliveries. A letter in a digest reports the digest email's status."""
    if not letter_ids:
        return {}
    own_email = OutboxMessage.__table__.alias("own_email")
    digest_email = OutboxMessage.__table__.alias("digest_email")
    rows = await session.execute(
        select(
            LetterDelivery.letter_id,
            LetterDelivery.state,
            LetterDelivery.scheduled_at,
            Official.id,
            Official.name,
            Official.title,
            Official.organisation,
            func.coalesce(own_email.c.status, digest_email.c.status),
            func.coalesce(own_email.c.delivery_status, digest_email.c.delivery_status),
            func.coalesce(own_email.c.sent_at, digest_email.c.sent_at),
        )
        .join(Official, Official.id == LetterDelivery.official_id)
        .outerjoin(own_email, own_email.c.id == LetterDelivery.outbox_message_id)
        .outerjoin(LetterDigest, LetterDigest.id == LetterDelivery.digest_id)
        .outerjoin(digest_email, digest_email.c.id == LetterDigest.outbox_message_id)
        .where(LetterDelivery.letter_id.in_(letter_ids))
        .order_by(LetterDelivery.letter_id, Official.name)
    )
    views: dict[int, list[DeliveryView]] = defaultdict(list)
    for row in rows:
        letter_id, state, scheduled_at, oid, name, title, org, status, delivery, sent_at = row
        progress = email_progress(status, delivery)
        views[letter_id].append(
            DeliveryView(oid, name, title, org, state, scheduled_at, progress, sent_at)
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


def email_progress(outbox_status: str | None, delivery_status: str | None) -> str | None:
    """One word for where an email is: queued (with us), failed (we gave up), sent (to the
    provider), then what the provider reported: delivered, deferred, bounced, dropped."""
    if outbox_status is None:
        return None
    if outbox_status != OutboxStatus.SENT:
        return "queued" if outbox_status == OutboxStatus.PENDING else "failed"
    if delivery_status in (None, DeliveryStatus.QUEUED):
        return "sent"
    return delivery_status


@dataclass(frozen=True)
class LetterTotals:
    letters_by_status: dict[str, int]
    personalised: int
    unedited: int
    deliveries_by_state: dict[str, int]
    emails_by_status: dict[str, int]


async def letter_totals(session: AsyncSession, campaign_id: int) -> LetterTotals:
    by_status = dict(
        (
            await session.execute(
                select(Letter.status, func.count())
                .where(Letter.campaign_id == campaign_id)
                .group_by(Letter.status)
            )
        ).all()
    )
    personal = dict(
        (
            await session.execute(
                select(Letter.personalised, func.count())
                .where(Letter.campaign_id == campaign_id, Letter.status == "confirmed")
                .group_by(Letter.personalised)
            )
        ).all()
    )
    by_state = dict(
        (
            await session.execute(
                select(LetterDelivery.state, func.count())
                .where(LetterDelivery.campaign_id == campaign_id)
                .group_by(LetterDelivery.state)
            )
        ).all()
    )
    emails = dict(
        (
            await session.execute(
                select(OutboxMessage.delivery_status, func.count())
                .join(LetterDelivery, LetterDelivery.outbox_message_id == OutboxMessage.id)
                .where(LetterDelivery.campaign_id == campaign_id)
                .group_by(OutboxMessage.delivery_status)
            )
        ).all()
    )
    return LetterTotals(
        letters_by_status=by_status,
        personalised=personal.get(True, 0),
        unedited=personal.get(False, 0),
        deliveries_by_state=by_state,
        emails_by_status=emails,
    )
