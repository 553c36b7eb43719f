"""Turning a confirmed letter into emails: one per official, within the campaign's
per-official limits, and a copy to the activist. Letters over a limit wait for the next
hour or day with room, or go into the official's daily digest; none is dropped."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign
from campaign.letters.models import (
    DeliveryState,
    Letter,
    LetterDelivery,
    LetterDigest,
    LetterSetup,
    OverLimit,
)
from campaign.letters.similarity import is_personalised
from campaign.outbox.models import EmailKind, OutboxStatus, ProviderStatus
from campaign.outbox.service import enqueue_email
from campaign.targets.models import Official
from campaign.tokens import hash_token, new_token

# How far ahead the queue looks for room before it gives up and uses the last slot:
# at any limit of one letter a day, that is a year of letters to one official.
_MAX_DAYS_AHEAD = 366


class LetterDeliveryStatus(StrEnum):
    """Where one letter to one official has got to: the one word the activist's page,
    the staff API and the dashboard show, and count."""

    AWAITING_CONFIRMATION = "awaiting_confirmation"  # the activist has not confirmed yet
    HELD = "held"  # kept, never sent (over the writer's rate limit, or a second letter)
    IN_DIGEST = "in_digest"  # over the official's limit: waits for their daily digest
    QUEUED = "queued"  # its email (or its digest's) waits with us, perhaps for a later slot
    FAILED = "failed"  # we gave up sending it
    SENT = "sent"  # handed to the provider, which has reported nothing further yet
    DEFERRED = "deferred"  # the receiving server has not taken it yet; the provider retries
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    DROPPED = "dropped"  # the provider refused to send it


# Handed to the provider, whatever it reported afterwards.
HANDED_OVER = frozenset(
    {
        LetterDeliveryStatus.SENT,
        LetterDeliveryStatus.DEFERRED,
        LetterDeliveryStatus.DELIVERED,
        LetterDeliveryStatus.BOUNCED,
        LetterDeliveryStatus.DROPPED,
    }
)


def letter_delivery_status(
    state: str, email_status: str | None, provider_status: str | None
) -> LetterDeliveryStatus:
    """The status of a letter to one official, from its delivery's state and its email's
    two columns (the digest's email, for a letter in a digest): `email_status` is our
    side (pending, sent, failed); `provider_status` is the last thing SendGrid reported,
    which stays at its default "queued" until an event arrives (the worker does not
    touch it, and the file and console backends send no events). So a provider status
    of "queued" on an email we sent means "sent, nothing reported yet", never queued."""
    if state in (DeliveryState.AWAITING_CONFIRMATION, DeliveryState.HELD):
        return LetterDeliveryStatus(state)
    if provider_status not in (None, ProviderStatus.QUEUED):
        # A report from the provider outranks our own record, which an event can overtake.
        return LetterDeliveryStatus(provider_status)
    if email_status == OutboxStatus.SENT:
        return LetterDeliveryStatus.SENT
    if email_status == OutboxStatus.FAILED:
        return LetterDeliveryStatus.FAILED
    if email_status is None and state == DeliveryState.IN_DIGEST:
        return LetterDeliveryStatus.IN_DIGEST
    return LetterDeliveryStatus.QUEUED


def sender_name(letter: Letter, organisation: str) -> str:
    """The From display name of a letter: the constituent's own name, and through whom."""
    return f"{letter.given_name} {letter.family_name} via {organisation}"


async def dispatch_letter(
    session: AsyncSession,
    letter: Letter,
    campaign: Campaign,
    setup: LetterSetup,
    *,
    organisation: str,
    now: datetime,
) -> None:
    """Queue a confirmed letter's emails, in the caller's transaction."""
    rows = await session.execute(
        select(LetterDelivery, Official)
        .join(Official, Official.id == LetterDelivery.official_id)
        .where(LetterDelivery.letter_id == letter.id)
        .order_by(LetterDelivery.id)
    )
    officials = []
    copies = []
    for delivery, official in rows:
        officials.append(official)
        copies.append(delivery)
        slot = await _slot_for(session, setup, official.id, now)
        if slot is None:
            delivery.state = DeliveryState.IN_DIGEST
            delivery.digest_day = now.date()
            continue
        delivery.outbox_message_id = await enqueue_email(
            session,
            EmailKind.LETTER_TO_OFFICIAL,
            to_address=official.email,
            to_name=official.name,
            # The letter is the activist's own; the few words around it are in the
            # campaign's language.
            context={
                "subject": delivery.subject,
                "body": delivery.body,
                "language": campaign.language,
            },
            campaign_id=campaign.id,
            from_name=sender_name(letter, organisation),
            reply_to=letter.email,
            not_before=slot,
        )
        delivery.state = DeliveryState.SCHEDULED
        delivery.scheduled_at = slot
        # Visible to the next letter's count in this same transaction.
        await session.flush()
    await enqueue_email(
        session,
        EmailKind.LETTER_COPY,
        to_address=letter.email,
        to_name=f"{letter.given_name} {letter.family_name}",
        context={
            "given_name": letter.given_name,
            "campaign_title": campaign.title,
            # The letter as it was sent (to the first official, when there are several),
            # not the template with its placeholders.
            "subject": copies[0].subject if copies else letter.subject,
            "body": copies[0].body if copies else letter.body,
            "officials": [f"{o.name}, {o.title}" for o in officials],
            "view_token": _new_view_token(letter),
            "language": campaign.language,
        },
        campaign_id=campaign.id,
    )


def _new_view_token(letter: Letter) -> str:
    """The activist's private link to their letter, made when the letter goes out (only
    its hash is kept, so it exists in clear only in the copy they are sent)."""
    token = new_token()
    letter.view_token_hash = hash_token(token)
    return token


async def _slot_for(
    session: AsyncSession, setup: LetterSetup, official_id: int, now: datetime
) -> datetime | None:
    """When this official's next letter may go: now, a later hour or day with room under
    the limits, or None for the day's digest."""
    hourly, daily = setup.per_official_hourly_limit, setup.per_official_daily_limit
    if hourly is None and daily is None:
        return now
    await _lock_official(session, official_id)
    counter = _Counter(session, setup.campaign_id, official_id)
    if await counter.has_room(now, hourly, daily):
        return now
    if setup.over_limit == OverLimit.DIGEST:
        return None
    candidate = _hour_start(now) + timedelta(hours=1)
    last = now + timedelta(days=_MAX_DAYS_AHEAD)
    while candidate < last:
        if daily is not None and await counter.in_day(candidate) >= daily:
            candidate = _day_start(candidate) + timedelta(days=1)
            continue
        if hourly is None or await counter.in_hour(candidate) < hourly:
            return candidate
        candidate += timedelta(hours=1)
    return candidate


async def _lock_official(session: AsyncSession, official_id: int) -> None:
    """Serialise the scheduling of letters to one official (PostgreSQL row lock; SQLite
    serialises writers anyway), so two at once can't both take the last place. It is FOR
    NO KEY UPDATE (`key_share=True`): each transaction here already holds the KEY SHARE
    lock its delivery row's foreign key took, and FOR UPDATE would wait on the others'
    and deadlock."""
    await session.execute(
        select(Official.id).where(Official.id == official_id).with_for_update(key_share=True)
    )


class _Counter:
    def __init__(self, session: AsyncSession, campaign_id: int, official_id: int) -> None:
        self.session = session
        self.campaign_id = campaign_id
        self.official_id = official_id

    async def has_room(self, at: datetime, hourly: int | None, daily: int | None) -> bool:
        if hourly is not None and await self.in_hour(at) >= hourly:
            return False
        return daily is None or await self.in_day(at) < daily

    async def in_hour(self, at: datetime) -> int:
        start = _hour_start(at)
        return await self._between(start, start + timedelta(hours=1))

    async def in_day(self, at: datetime) -> int:
        start = _day_start(at)
        return await self._between(start, start + timedelta(days=1))

    async def _between(self, start: datetime, end: datetime) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(LetterDelivery)
            .where(
                LetterDelivery.campaign_id == self.campaign_id,
                LetterDelivery.official_id == self.official_id,
                LetterDelivery.state == DeliveryState.SCHEDULED,
                LetterDelivery.scheduled_at >= start,
                LetterDelivery.scheduled_at < end,
            )
        )
        return int(count or 0)


def _hour_start(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _day_start(at: datetime) -> datetime:
    return datetime.combine(at.date(), time(0), tzinfo=at.tzinfo)


# -- Daily digests ------------------------------------------------------------------------


async def send_due_digests(session: AsyncSession, *, now: datetime) -> int:
    """Bundle every finished day's over-the-limit letters into one email per official
    and campaign. Returns how many digests it queued. Safe to run from several workers:
    rows being bundled by one are skipped by the others."""
    rows = await session.execute(
        select(LetterDelivery, Letter)
        .join(Letter, Letter.id == LetterDelivery.letter_id)
        .where(
            LetterDelivery.state == DeliveryState.IN_DIGEST,
            LetterDelivery.digest_day < now.date(),
        )
        .order_by(LetterDelivery.id)
        .with_for_update(of=LetterDelivery, skip_locked=True)
    )
    groups: dict[tuple[int, int, date], list[tuple[LetterDelivery, Letter]]] = defaultdict(list)
    for delivery, letter in rows:
        assert delivery.digest_day is not None
        groups[(delivery.campaign_id, delivery.official_id, delivery.digest_day)].append(
            (delivery, letter)
        )
    for (campaign_id, official_id, day), members in groups.items():
        await _send_digest(session, campaign_id, official_id, day, members)
    return len(groups)


async def _send_digest(
    session: AsyncSession,
    campaign_id: int,
    official_id: int,
    day: date,
    members: list[tuple[LetterDelivery, Letter]],
) -> None:
    official = await session.get_one(Official, official_id)
    campaign = await session.get_one(Campaign, campaign_id)
    personalised = sum(1 for _, letter in members if is_personalised(letter.similarity))
    outbox_id = await enqueue_email(
        session,
        EmailKind.LETTER_DIGEST,
        to_address=official.email,
        to_name=official.name,
        context={
            "official_name": official.name,
            "campaign_title": campaign.title,
            "day": day.isoformat(),
            "language": campaign.language,
            "count": len(members),
            "personalised": personalised,
            "unedited": len(members) - personalised,
            "letters": [
                {
                    "name": f"{letter.given_name} {letter.family_name}",
                    "email": letter.email,
                    "locality": letter.locality,
                    "subject": delivery.subject,
                    "body": delivery.body,
                    "personalised": is_personalised(letter.similarity),
                }
                for delivery, letter in members
            ],
        },
        campaign_id=campaign_id,
    )
    digest = LetterDigest(
        campaign_id=campaign_id,
        official_id=official_id,
        day=day,
        letters=len(members),
        personalised=personalised,
        outbox_message_id=outbox_id,
    )
    session.add(digest)
    await session.flush()
    await session.execute(
        update(LetterDelivery)
        .where(LetterDelivery.id.in_([delivery.id for delivery, _ in members]))
        .values(state=DeliveryState.DIGESTED, digest_id=digest.id),
        execution_options={"synchronize_session": False},
    )
