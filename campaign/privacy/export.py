"""Everything held about one address, as one JSON document: the person, their
signatures, letters (and to which officials they went, when), consents with the words
they agreed to, donations, the emails sent to them and what the provider reported of
each, suppressions and tags."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from campaign.campaigns.models import Campaign
from campaign.consents.models import ConsentRecord, ConsentText
from campaign.db import Base
from campaign.donations.models import Donation, DonationPayment
from campaign.inbox.models import EmailEvent
from campaign.letters.models import Letter, LetterDelivery, LetterDigest
from campaign.outbox.models import OutboxMessage, Suppression
from campaign.outbox.service import SECRET_CONTEXT_KEYS
from campaign.privacy.hashing import address_hash
from campaign.privacy.holdings import Holdings, find_holdings
from campaign.signatures.models import Signature, SignatureSubmission
from campaign.tags.models import Tag, Tagging
from campaign.targets.models import Official

FORMAT_VERSION = 1


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _fields(row: Base, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _value(getattr(row, name)) for name in names}


_PERSON = (
    "email", "given_name", "family_name", "country", "postcode", "custom_fields",
    "created_at", "email_confirmed_at", "modified_at",
)  # fmt: skip
_SIGNATURE = (
    "status", "email", "given_name", "family_name", "country", "postcode", "comment",
    "email_updates", "channel", "ip_address", "user_agent", "referrer", "utm_source",
    "utm_medium", "utm_campaign", "created_at", "confirmed_at",
)  # fmt: skip
_LETTER = (
    "status", "email", "given_name", "family_name", "country", "postcode", "locality",
    "subject", "body", "email_updates", "ip_address", "created_at", "confirmed_at",
)  # fmt: skip
_SUBMISSION = (
    "email", "given_name", "family_name", "country", "postcode", "comment", "email_updates",
    "channel", "ip_address", "user_agent", "referrer", "created_at",
)  # fmt: skip
_DONATION = (
    "frequency", "amount", "currency", "status", "created_at", "completed_at", "ended_at",
)  # fmt: skip
_MESSAGE = (
    "kind", "to_address", "to_name", "from_name", "reply_to", "status", "created_at",
    "sent_at", "delivery_status",
)  # fmt: skip


async def export_address(session: AsyncSession, address: str, *, key: str) -> dict[str, Any]:
    """The document for `address` (its sections empty when nothing is held)."""
    holdings = await find_holdings(session, address)
    person = holdings.person
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "email": holdings.normalised,
        "person": _fields(person, _PERSON) if person else None,
        "signatures": [],
        "letters": [],
        "consents": [],
        "donations": [],
        "tags": [],
    }
    if person is not None:
        document["signatures"] = await _signatures(session, person.id)
        document["letters"] = await _letters(session, person.id)
        document["consents"] = await _consents(session, person.id)
        document["donations"] = await _donations(session, person.id)
        document["tags"] = list(
            await session.scalars(
                select(Tag.name)
                .join(Tagging, Tagging.tag_id == Tag.id)
                .where(Tagging.person_id == person.id)
                .order_by(Tag.name)
            )
        )
    # Signatures sent in the last moments, not yet turned into signatures by the worker.
    document["signatures_in_progress"] = [
        {"campaign": slug, **_fields(row, _SUBMISSION)}
        for row, slug in (
            await session.execute(
                select(SignatureSubmission, Campaign.slug)
                .join(Campaign, Campaign.id == SignatureSubmission.campaign_id)
                .where(SignatureSubmission.email_normalised == holdings.normalised)
                .order_by(SignatureSubmission.id)
            )
        ).all()
    ]
    document["emails"] = await _emails(session, holdings)
    document["suppressions"] = await _suppressions(session, holdings, key)
    return document


async def _signatures(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Signature, Campaign.slug, Campaign.title)
        .join(Campaign, Campaign.id == Signature.campaign_id)
        .where(Signature.person_id == person_id)
        .order_by(Signature.id)
    )
    return [
        {"campaign": slug, "campaign_title": title, **_fields(signature, _SIGNATURE)}
        for signature, slug, title in rows.all()
    ]


async def _letters(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Letter, Campaign.slug, Campaign.title)
        .join(Campaign, Campaign.id == Letter.campaign_id)
        .where(Letter.person_id == person_id)
        .order_by(Letter.id)
    )
    letters = []
    direct = aliased(OutboxMessage)
    bundled = aliased(OutboxMessage)
    for letter, slug, title in rows.all():
        deliveries = await session.execute(
            select(LetterDelivery, Official, direct.sent_at, bundled.sent_at)
            .join(Official, Official.id == LetterDelivery.official_id)
            .outerjoin(direct, direct.id == LetterDelivery.outbox_message_id)
            .outerjoin(LetterDigest, LetterDigest.id == LetterDelivery.digest_id)
            .outerjoin(bundled, bundled.id == LetterDigest.outbox_message_id)
            .where(LetterDelivery.letter_id == letter.id)
            .order_by(LetterDelivery.id)
        )
        letters.append(
            {
                "campaign": slug,
                "campaign_title": title,
                **_fields(letter, _LETTER),
                "deliveries": [
                    {
                        "official": official.name,
                        "official_title": official.title,
                        "organisation": official.organisation,
                        "state": delivery.state,
                        "subject": delivery.subject,
                        "body": delivery.body,
                        "scheduled_at": _value(delivery.scheduled_at),
                        "sent_at": _value(sent_alone or sent_in_digest),
                    }
                    for delivery, official, sent_alone, sent_in_digest in deliveries.all()
                ],
            }
        )
    return letters


async def _consents(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(ConsentRecord, ConsentText, Campaign.slug)
        .join(ConsentText, ConsentText.id == ConsentRecord.consent_text_id)
        .outerjoin(Campaign, Campaign.id == ConsentRecord.campaign_id)
        .where(ConsentRecord.person_id == person_id)
        .order_by(ConsentRecord.id)
    )
    return [
        {
            "purpose": text.purpose,
            "granted": record.granted,
            "wording": text.text,
            "wording_version": text.version,
            "language": record.language,
            "channel": record.channel,
            "campaign": slug,
            "recorded_at": _value(record.created_at),
        }
        for record, text, slug in rows.all()
    ]


async def _donations(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Donation, Campaign.slug)
        .join(Campaign, Campaign.id == Donation.campaign_id)
        .where(Donation.person_id == person_id)
        .order_by(Donation.id)
    )
    donations = []
    for donation, slug in rows.all():
        payments = await session.scalars(
            select(DonationPayment)
            .where(DonationPayment.donation_id == donation.id)
            .order_by(DonationPayment.id)
        )
        donations.append(
            {
                "campaign": slug,
                **_fields(donation, _DONATION),
                "payments": [
                    _fields(p, ("amount", "currency", "paid_at", "refunded_amount"))
                    for p in payments
                ],
            }
        )
    return donations


async def _emails(session: AsyncSession, holdings: Holdings) -> list[dict[str, Any]]:
    if not holdings.messages_to:
        return []
    messages = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(holdings.messages_to))
        .order_by(OutboxMessage.id)
    )
    events: dict[int, list[dict[str, Any]]] = {}
    for event in await session.scalars(
        select(EmailEvent)
        .where(EmailEvent.outbox_message_id.in_(holdings.messages_to))
        .order_by(EmailEvent.id)
    ):
        assert event.outbox_message_id is not None
        events.setdefault(event.outbox_message_id, []).append(
            _fields(event, ("event", "occurred_at", "payload"))
        )
    return [
        {
            **_fields(message, _MESSAGE),
            "content": {k: v for k, v in message.context.items() if k not in SECRET_CONTEXT_KEYS},
            "events": events.get(message.id, []),
        }
        for message in messages
    ]


async def _suppressions(
    session: AsyncSession, holdings: Holdings, key: str
) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Suppression)
        .where(
            or_(
                Suppression.email_normalised == holdings.normalised,
                Suppression.email_hash == address_hash(holdings.normalised, key),
            )
        )
        .order_by(Suppression.id)
    )
    return [_fields(row, ("reason", "created_at")) for row in rows]
