"""Erasing one person's data while every count stays true: their signatures and letters
stay (so totals, rollups and charts do not move) with every personal field emptied or
replaced by a placeholder, and their address is kept only as a keyed hash in the
suppression list, so nothing is sent to it again in bulk, even after it signs anew.

One transaction; running it again for the same address changes nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import String, Text, cast, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import insert_for
from campaign.inbox.models import EmailEvent
from campaign.letters.models import Letter, LetterDelivery, LetterDigest
from campaign.outbox.models import OutboxMessage, OutboxStatus, Suppression, SuppressionReason
from campaign.privacy.hashing import address_hash
from campaign.privacy.holdings import find_holdings
from campaign.privacy.models import DataRightsLink
from campaign.signatures.models import Signature, SignatureSubmission

# What an emptied field that may not be empty says.
PLACEHOLDER = "(erased)"
# Where an emptied address points: a reserved domain that can never receive mail.
ERASED_DOMAIN = "erased.invalid"
PLACEHOLDER_ADDRESS = f"erased@{ERASED_DOMAIN}"
ERASED_CONTENT: dict[str, Any] = {"erased": True}
# Why a message not yet sent to an erased address never goes.
NOT_SENT = "not sent: the recipient's data was erased"


@dataclass(frozen=True)
class Erasure:
    people: int
    signatures: int
    letters: int
    emails: int


def referrer_origin(referrer: str | None) -> str | None:
    """Only the site a signer came from (what the source charts count), not the page."""
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if not parts.scheme or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname}/"


async def erase_address(session: AsyncSession, address: str, *, key: str, now: datetime) -> Erasure:
    holdings = await find_holdings(session, address)
    normalised = holdings.normalised
    person = holdings.person
    signatures = letters = 0
    if person is not None:
        signatures = await _erase_signatures(session, person.id)
        letters = await _erase_letters(session, person.id, holdings.spellings)
        person.email_normalised = person.email = f"person-{person.id}@{ERASED_DOMAIN}"
        person.given_name = person.family_name = PLACEHOLDER
        person.postcode = None
        person.custom_fields = {}
        person.erased_at = now
    await _erase_messages(session, holdings.messages_to, holdings.messages_for)
    await _erase_loose_events(session, holdings.spellings)
    await session.execute(
        delete(SignatureSubmission).where(SignatureSubmission.email_normalised == normalised)
    )
    await session.execute(
        delete(DataRightsLink).where(DataRightsLink.email_normalised == normalised)
    )
    await _suppress_by_hash(session, normalised, address_hash(normalised, key), now)
    await session.flush()
    return Erasure(
        people=1 if person is not None else 0,
        signatures=signatures,
        letters=letters,
        emails=len(holdings.messages_to),
    )


async def _erase_signatures(session: AsyncSession, person_id: int) -> int:
    rows = list(await session.scalars(select(Signature).where(Signature.person_id == person_id)))
    for signature in rows:
        signature.email = PLACEHOLDER_ADDRESS
        signature.given_name = signature.family_name = PLACEHOLDER
        signature.postcode = signature.postcode_normalised = signature.comment = None
        signature.ip_address = signature.user_agent = None
        # Nobody left to name in a report to officials.
        signature.name_may_be_given = False
        signature.referrer = referrer_origin(signature.referrer)
        # A pending signature can no longer be confirmed (nor its link used).
        signature.confirmation_token_hash = None
    return len(rows)


async def _erase_letters(session: AsyncSession, person_id: int, spellings: set[str]) -> int:
    rows = list(await session.scalars(select(Letter).where(Letter.person_id == person_id)))
    for letter in rows:
        letter.email = PLACEHOLDER_ADDRESS
        letter.given_name = letter.family_name = PLACEHOLDER
        letter.postcode = letter.locality = None
        letter.subject = letter.body = PLACEHOLDER
        letter.ip_address = None
        letter.confirmation_token_hash = letter.view_token_hash = None
    letter_ids = [letter.id for letter in rows]
    if not letter_ids:
        return 0
    await session.execute(
        update(LetterDelivery)
        .where(LetterDelivery.letter_id.in_(letter_ids))
        .values(subject=PLACEHOLDER, body=PLACEHOLDER),
        execution_options={"synchronize_session": False},
    )
    # A digest carries many writers' letters: only this person's entries are emptied.
    digests = await session.scalars(
        select(OutboxMessage)
        .join(LetterDigest, LetterDigest.outbox_message_id == OutboxMessage.id)
        .join(LetterDelivery, LetterDelivery.digest_id == LetterDigest.id)
        .where(LetterDelivery.letter_id.in_(letter_ids))
        .distinct()
    )
    for message in digests:
        message.context = _without_writer(message.context, spellings)
    return len(rows)


def _without_writer(context: dict[str, Any], spellings: set[str]) -> dict[str, Any]:
    entries = []
    for entry in context.get("letters", []):
        if str(entry.get("email", "")).lower() in spellings:
            entry = {
                **entry,
                "name": PLACEHOLDER,
                "email": PLACEHOLDER_ADDRESS,
                "locality": None,
                "subject": PLACEHOLDER,
                "body": PLACEHOLDER,
            }
        entries.append(entry)
    return {**context, "letters": entries}


async def _erase_messages(
    session: AsyncSession, to_person: list[int], for_person: list[int]
) -> None:
    if to_person:
        # Each its own placeholder: a mailing holds one row per address.
        placeholder = (
            literal("erased-", String) + cast(OutboxMessage.id, String) + f"@{ERASED_DOMAIN}"
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(to_person))
            .values(to_address=placeholder, to_name=None, context=ERASED_CONTENT),
            execution_options={"synchronize_session": False},
        )
        await session.execute(
            update(EmailEvent)
            .where(EmailEvent.outbox_message_id.in_(to_person))
            .values(payload=ERASED_CONTENT),
            execution_options={"synchronize_session": False},
        )
    both = to_person + for_person
    if not both:
        return
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(for_person))
        .values(from_name=None, reply_to=None, context=ERASED_CONTENT),
        execution_options={"synchronize_session": False},
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(both), OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, last_error=NOT_SENT),
        execution_options={"synchronize_session": False},
    )


async def _erase_loose_events(session: AsyncSession, spellings: set[str]) -> None:
    """Provider events about no message of ours may still name the address."""
    text = func.lower(cast(EmailEvent.payload, Text))
    await session.execute(
        update(EmailEvent)
        .where(
            EmailEvent.outbox_message_id.is_(None),
            or_(*(text.contains(spelling, autoescape=True) for spelling in spellings)),
        )
        .values(payload=ERASED_CONTENT),
        execution_options={"synchronize_session": False},
    )


async def _suppress_by_hash(
    session: AsyncSession, normalised: str, hashed: str, now: datetime
) -> None:
    """The address's suppressions become hashed ones, with `erased` among them."""
    reasons = set(
        await session.scalars(
            select(Suppression.reason).where(Suppression.email_normalised == normalised)
        )
    )
    await session.execute(delete(Suppression).where(Suppression.email_normalised == normalised))
    for reason in sorted(reasons | {SuppressionReason.ERASED.value}):
        await session.execute(
            insert_for(session, Suppression.__table__)
            .values(email_normalised=None, email_hash=hashed, reason=reason, created_at=now)
            .on_conflict_do_nothing(index_elements=["email_hash", "reason"])
        )
