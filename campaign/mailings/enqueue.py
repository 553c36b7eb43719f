"""The worker's side of a mailing: start the ones that are due, write their recipients
into the outbox a chunk at a time, and discard what a cancelled one had not sent.

Each chunk is one transaction that holds the mailing's row locked: it writes the
chunk's outbox rows (by INSERT … SELECT, so no recipient passes through Python) and
moves the mailing's mark past them. Killed at any point, the worker either committed a
chunk and its mark or neither; the next pass carries on from the mark. Since the
recipients are people, one row per normalised address, walked in id order past the
mark, an address is written once per mailing whatever happens (no unique index is kept
for it: each copy's row is rewritten as it is sent, and the index cost more than that)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.mailings.audience import chunk_end, erased_addresses_among, recipients
from campaign.mailings.models import Audience, Mailing, MailingStatus
from campaign.outbox.models import EmailKind, OutboxMessage, OutboxStatus, Priority
from campaign.people.models import Person

# Why a cancelled mailing's message was not sent, in its `last_error`.
CANCELLED = "not sent: the mailing was cancelled"


async def start_due_mailings(session: AsyncSession) -> None:
    """Scheduled mailings whose time has come start sending."""
    now = utcnow()
    await session.execute(
        update(Mailing)
        .where(Mailing.status == MailingStatus.SCHEDULED, Mailing.send_at <= now)
        .values(status=MailingStatus.SENDING, started_at=now, modified_at=now),
        execution_options={"synchronize_session": False},
    )


async def mailings_to_enqueue(session: AsyncSession) -> list[int]:
    result = await session.scalars(
        select(Mailing.id).where(Mailing.status == MailingStatus.SENDING).order_by(Mailing.id)
    )
    return list(result)


async def enqueue_next_chunk(
    session: AsyncSession, mailing_id: int, size: int, *, address_key: str | None = None
) -> int | None:
    """Write the next chunk of up to `size` recipients of a sending mailing into the
    outbox; returns how many were written, or None when there is nothing left to do
    (the mailing is enqueued whole, cancelled, or another worker holds it). With
    `address_key`, addresses erased once and back again are left out."""
    mailing = await session.scalar(
        select(Mailing).where(Mailing.id == mailing_id).with_for_update(skip_locked=True)
    )
    if mailing is None or mailing.status != MailingStatus.SENDING:
        return None
    after = mailing.enqueued_through
    end = await session.scalar(chunk_end(mailing, after, size))
    now = utcnow()
    if end is None:
        mailing.status = MailingStatus.SENT
        mailing.enqueued_at = now
        await session.flush()
        return None
    leaving_out = (
        await erased_addresses_among(session, mailing, after, int(end), address_key)
        if address_key
        else []
    )
    written = await _write_recipients(session, mailing, after, int(end), leaving_out)
    mailing.enqueued_through = int(end)
    mailing.recipients += written
    await session.flush()
    return written


async def _write_recipients(
    session: AsyncSession, mailing: Mailing, after: int, end: int, leaving_out: list[int]
) -> int:
    now = utcnow()
    chunk = recipients(
        mailing, after=after, through=end, leaving_out=leaving_out
    ).with_only_columns(
        literal(_kind(mailing).value),
        Person.email,
        func.trim(Person.given_name + " " + Person.family_name),
        literal(mailing.sender_name),
        _context(session, mailing.id),
        literal(mailing.campaign_id),
        literal(mailing.id),
        literal(int(Priority.BULK)),
        literal(OutboxStatus.PENDING.value),
        literal(0),
        literal(now, OutboxMessage.created_at.type),
        literal(now, OutboxMessage.available_at.type),
    )
    columns = [
        "kind",
        "to_address",
        "to_name",
        "from_name",
        "context",
        "campaign_id",
        "mailing_id",
        "priority",
        "status",
        "attempts",
        "created_at",
        "available_at",
    ]
    statement = insert(OutboxMessage).from_select(columns, chunk)
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def _kind(mailing: Mailing) -> EmailKind:
    """A petition's response is an email of its own kind, with its own template."""
    if mailing.audience == Audience.RESPONSE_SIGNERS:
        return EmailKind.PETITION_RESPONSE
    return EmailKind.MAILING


def _context(session: AsyncSession, mailing_id: int) -> Any:
    """Each copy's template values: which mailing, and the name it greets."""
    if session.get_bind().dialect.name == "postgresql":
        return func.jsonb_build_object("mailing_id", mailing_id, "given_name", Person.given_name)
    return func.json_object("mailing_id", mailing_id, "given_name", Person.given_name)


async def discard_unsent(session: AsyncSession, size: int) -> int:
    """Of a cancelled mailing, fail up to `size` messages still waiting, with the reason;
    once none wait, the mailing says its unsent messages are discarded."""
    mailing = await session.scalar(
        select(Mailing)
        .where(Mailing.status == MailingStatus.CANCELLED, Mailing.unsent_discarded_at.is_(None))
        .order_by(Mailing.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if mailing is None:
        return 0
    waiting = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.mailing_id == mailing.id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(waiting.scalar_subquery()))
        .values(status=OutboxStatus.FAILED, last_error=CANCELLED),
        execution_options={"synchronize_session": False},
    )
    discarded = int(getattr(result, "rowcount", 0) or 0)
    if discarded < size:
        mailing.unsent_discarded_at = utcnow()
        await session.flush()
    return discarded


async def hold_cancelled(
    session: AsyncSession, messages: list[OutboxMessage]
) -> list[OutboxMessage]:
    """Of the claimed messages, those that may go: a copy of a mailing cancelled since it
    was written ends as failed and is not sent."""
    mailing_ids = {m.mailing_id for m in messages if m.mailing_id is not None}
    if not mailing_ids:
        return messages
    cancelled = set(
        await session.scalars(
            select(Mailing.id).where(
                Mailing.id.in_(mailing_ids), Mailing.status == MailingStatus.CANCELLED
            )
        )
    )
    if not cancelled:
        return messages
    allowed = []
    for message in messages:
        if message.mailing_id in cancelled:
            message.status = OutboxStatus.FAILED
            message.last_error = CANCELLED
        else:
            allowed.append(message)
    await session.flush()
    return allowed
