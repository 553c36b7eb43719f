"""The outbox: written inside the transaction of the action that causes an email,
claimed and settled by the worker in emails/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.errors import InvalidState, NotFound
from campaign.outbox.models import (
    EmailKind,
    OutboxMessage,
    OutboxStatus,
    Suppression,
    SuppressionReason,
)
from campaign.people.emails import normalise_email


async def enqueue_email(
    session: AsyncSession,
    kind: EmailKind,
    *,
    to_address: str,
    to_name: str | None,
    context: dict[str, Any],
    campaign_id: int | None = None,
) -> None:
    now = utcnow()
    await session.execute(
        insert(OutboxMessage).values(
            kind=kind.value,
            to_address=to_address,
            to_name=to_name,
            context=context,
            campaign_id=campaign_id,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            created_at=now,
            available_at=now,
        )
    )


# A claimed message is invisible to other workers for this long; if its worker dies
# before recording the result, the message becomes due again and is retried.
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5


async def claim_due_messages(session: AsyncSession, limit: int) -> list[OutboxMessage]:
    """Take up to `limit` due messages for this worker. On PostgreSQL, SKIP LOCKED lets
    any number of workers claim side by side without taking the same row."""
    now = utcnow()
    result = await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.available_at <= now)
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    messages = list(result.scalars())
    for message in messages:
        message.attempts += 1
        message.available_at = now + CLAIM_LEASE
    await session.flush()
    return messages


# Context keys that are secrets (a confirmation link's token): needed to write the
# email, and nowhere after it has gone.
SECRET_CONTEXT_KEYS = frozenset({"token"})


async def mark_sent(
    session: AsyncSession, message: OutboxMessage, provider_message_id: str
) -> None:
    """Record the hand-over, and forget the email's secrets: whoever can read the
    database later must not be able to follow someone else's confirmation link."""
    kept = {k: v for k, v in message.context.items() if k not in SECRET_CONTEXT_KEYS}
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(
            status=OutboxStatus.SENT,
            sent_at=utcnow(),
            provider_message_id=provider_message_id,
            last_error=None,
            context=kept,
        )
    )


async def mark_attempt_failed(
    session: AsyncSession, message_id: int, attempts: int, error: str
) -> None:
    """Retry later with exponential backoff, or give up after MAX_ATTEMPTS."""
    values: dict[str, object] = {"last_error": error[:2000]}
    if attempts >= MAX_ATTEMPTS:
        values["status"] = OutboxStatus.FAILED
    else:
        values["available_at"] = utcnow() + timedelta(seconds=30 * 2 ** (attempts - 1))
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
    )


# Emails a person needs because of something they just did: still sent to an address
# that complained or unsubscribed (never to one that bounced hard).
TRANSACTIONAL_KINDS = frozenset({EmailKind.SIGNATURE_CONFIRMATION, EmailKind.ALREADY_SIGNED})


async def hold_suppressed(
    session: AsyncSession, messages: list[OutboxMessage]
) -> list[OutboxMessage]:
    """Of the claimed messages, those that may go; the others end as failed, with the
    suppression as their error, and are not sent."""
    addresses = {normalise_email(m.to_address) for m in messages}
    reasons: dict[str, set[str]] = {}
    rows = await session.execute(
        select(Suppression.email_normalised, Suppression.reason).where(
            Suppression.email_normalised.in_(addresses)
        )
    )
    for address, reason in rows.all():
        reasons.setdefault(address, set()).add(reason)
    allowed = []
    for message in messages:
        held = reasons.get(normalise_email(message.to_address), set())
        if SuppressionReason.HARD_BOUNCE in held or (
            held and message.kind not in TRANSACTIONAL_KINDS
        ):
            message.status = OutboxStatus.FAILED
            message.last_error = "suppressed: " + ", ".join(sorted(held))
        else:
            allowed.append(message)
    await session.flush()
    return allowed


async def list_messages(
    session: AsyncSession,
    *,
    campaign_id: int | None,
    kind: EmailKind | None,
    status: OutboxStatus | None,
    limit: int,
    offset: int,
) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if campaign_id is not None:
        query = query.where(OutboxMessage.campaign_id == campaign_id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    result = await session.execute(query.limit(limit).offset(offset))
    return list(result.scalars())


async def get_message(session: AsyncSession, message_id: int) -> OutboxMessage:
    message = await session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("no such message", field="message_id")
    return message


async def retry_message(session: AsyncSession, message: OutboxMessage) -> OutboxMessage:
    """Give a failed message another round of attempts, now. A suppressed address stays
    suppressed: the worker will hold the message again."""
    if message.status != OutboxStatus.FAILED:
        raise InvalidState(
            f"only failed messages can be retried; this one is {message.status}", field="status"
        )
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.available_at = utcnow()
    await session.flush()
    return message
